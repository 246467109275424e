// One call of a serialization strategy, format-neutral: decode the message,
// run the kernel, encode the answer, timing each phase on the native side.
//
// A Codec provides
//   static Request decode(std::span<const std::uint8_t> message);   // throws MessageError
//   class Writer {
//     std::span<double> array(Request&, bool copy_input);  // storage for the result
//     void finish_array();          // encode what array() returned
//     void finish_value(double);    // encode a scalar answer
//     std::span<const std::uint8_t> bytes() const;  // the encoded reply
//   };
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "interop_bench/kernels.hpp"
#include "request.hpp"

namespace interop_bench::serialization {

struct PhaseTimes {
  std::int64_t decode_ns = 0;
  std::int64_t kernel_ns = 0;
  std::int64_t encode_ns = 0;
};

// Adds the time between construction and each lap() to a counter.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void lap(std::int64_t& into_ns) {
    const auto now = std::chrono::steady_clock::now();
    into_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
    start_ = now;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

template <class Codec>
void execute(std::span<const std::uint8_t> message, typename Codec::Writer& writer,
             PhaseTimes& times) {
  Stopwatch watch;
  Request request = Codec::decode(message);
  watch.lap(times.decode_ns);
  switch (request.op) {
    case Op::sum:
    case Op::matrix_sum: {
      const double value =
          request.op == Op::sum
              ? kernels::sum(request.data)
              : kernels::matrix_sum(request.data.data(), request.rows, request.cols, request.cols);
      watch.lap(times.kernel_ns);
      writer.finish_value(value);
      break;
    }
    case Op::scale: {
      const std::span<double> out = writer.array(request, /*copy_input=*/false);
      watch.lap(times.encode_ns);
      kernels::scale(request.data, request.k, out);
      watch.lap(times.kernel_ns);
      writer.finish_array();
      break;
    }
    case Op::square: {
      const std::span<double> out = writer.array(request, /*copy_input=*/true);
      watch.lap(times.encode_ns);
      kernels::square_inplace(out);
      watch.lap(times.kernel_ns);
      writer.finish_array();
      break;
    }
  }
  watch.lap(times.encode_ns);
}

}  // namespace interop_bench::serialization
