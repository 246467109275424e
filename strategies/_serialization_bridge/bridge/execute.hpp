// One call of a serialization strategy, format-neutral: decode the message,
// run the kernel, encode the answer, timing each phase on the native side.
//
// The kernel is the one of the request's dtype (one switch per call, outside
// every loop), or frame_to_gray for the frame op.
//
// A Codec provides
//   static Request decode(std::span<const std::uint8_t> message);   // throws MessageError
//   class Writer {
//     // Storage for the array result: result_bytes(request) bytes, aligned for
//     // result_dtype(request); `copy_input` (square) fills it with the values.
//     std::span<std::byte> array(Request&, bool copy_input);
//     void finish_array();          // encode what array() returned
//     void finish_value(const Number&);  // encode a scalar answer (sum_t of the dtype)
//     std::span<const std::uint8_t> bytes() const;  // the encoded reply
//   };
#pragma once

#include <chrono>
#include <cstddef>
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

// `bytes` as the T values a writer's array() or a request holds.
template <class T>
std::span<T> as_values(std::span<std::byte> bytes) noexcept {
  return {reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T)};
}

// A sum as a Number: float32's widened to double (exactly), integers' in 64 bits.
template <class S>
Number number_of(S value) noexcept {
  if constexpr (std::is_floating_point_v<S>) {
    return static_cast<double>(value);
  } else {
    return value;
  }
}

template <class T, class Writer>
void run_kernel(Request& request, Writer& writer, PhaseTimes& times, Stopwatch& watch) {
  const std::span<const T> values = request.template values<T>();
  switch (request.op) {
    case Op::sum:
    case Op::matrix_sum: {
      const Number value = request.op == Op::sum
                               ? number_of(kernels::sum(values))
                               : number_of(kernels::matrix_sum(values.data(), request.rows,
                                                               request.cols, request.cols));
      watch.lap(times.kernel_ns);
      writer.finish_value(value);
      break;
    }
    case Op::scale: {
      const std::span<T> out = as_values<T>(writer.array(request, /*copy_input=*/false));
      watch.lap(times.encode_ns);
      kernels::scale(values, request.template factor<T>(), out);
      watch.lap(times.kernel_ns);
      writer.finish_array();
      break;
    }
    case Op::square: {
      const std::span<T> out = as_values<T>(writer.array(request, /*copy_input=*/true));
      watch.lap(times.encode_ns);
      kernels::square_inplace(out);
      watch.lap(times.kernel_ns);
      writer.finish_array();
      break;
    }
    case Op::frame: {
      // check_request made sure that T is uint8 and the values rows x cols x 3.
      const std::span<std::byte> gray = writer.array(request, /*copy_input=*/false);
      watch.lap(times.encode_ns);
      kernels::frame_to_gray(reinterpret_cast<const std::uint8_t*>(request.data.data()),
                             request.rows, request.cols, frame_channels * request.cols,
                             reinterpret_cast<std::uint8_t*>(gray.data()));
      watch.lap(times.kernel_ns);
      writer.finish_array();
      break;
    }
  }
}

template <class Codec>
void execute(std::span<const std::uint8_t> message, typename Codec::Writer& writer,
             PhaseTimes& times) {
  Stopwatch watch;
  Request request = Codec::decode(message);
  watch.lap(times.decode_ns);
  visit_dtype(request.dtype, [&]<class T>(std::type_identity<T>) {
    run_kernel<T>(request, writer, times, watch);
  });
  watch.lap(times.encode_ns);
}

}  // namespace interop_bench::serialization
