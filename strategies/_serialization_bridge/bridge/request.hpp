// The request every serialization strategy decodes (JSON, simdjson, FlatBuffers)
// and the checks they share, so that a message means the same thing in every
// format and a hostile one is refused the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace interop_bench::serialization {

// Any refusal of a message (malformed, wrong shape, unencodable result). The
// Python binding turns it into ValueError; the fuzz targets expect only it.
class MessageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Op : std::uint8_t { sum, square, matrix_sum, scale };

// "sum" -> Op::sum; nullopt for anything else.
std::optional<Op> op_from_name(std::string_view name) noexcept;

// A message's shape: [n] for the vector operations, [rows, cols] for matrix_sum.
struct Shape {
  static constexpr std::size_t max_dims = 2;
  std::uint64_t dims[max_dims] = {0, 0};
  std::size_t ndim = 0;

  // Appends one dimension; throws MessageError past max_dims.
  void push(std::uint64_t dim);
  // The product of the dimensions, saturating at UINT64_MAX; 0 without any.
  std::uint64_t claimed_elements() const noexcept;
};

struct Request {
  Op op = Op::sum;
  std::size_t rows = 0;  // 1 for the vector operations
  std::size_t cols = 0;  // elements per row
  double k = 0.0;        // scale's factor
  // The values, row-major: a view of `owned` (decoded formats) or of the
  // message itself (FlatBuffers reads them in place).
  std::span<const double> data;
  std::vector<double> owned;
  // What `data` points into when it is neither `owned` nor the message (the
  // object protobuf parsed the message into), kept alive with the request.
  std::shared_ptr<const void> decoded;

  // The values as writable memory when the request owns them, else empty.
  std::span<double> owned_values() noexcept {
    return data.data() == owned.data() ? std::span<double>(owned) : std::span<double>();
  }
};

// The result storage of codecs that decode into Request::owned (both JSON
// codecs): the kernel overwrites the decoded values (scale's kernel allows
// exact aliasing), so no second buffer is needed.
class InPlaceResult {
 public:
  std::span<double> array(Request& request, bool /*copy_input*/) {
    result_ = request.owned_values();
    return result_;
  }

 protected:
  std::span<double> result_;
};

// Fills rows/cols from `shape` after checking it against the op and against
// the number of values actually received; throws MessageError naming the
// mismatch. `has_k` says whether the message carried a factor.
void check_request(Request& request, const Shape& shape, bool has_k);

// How many values to reserve before decoding a data array that the message
// claims holds `claimed` elements: never more than the message could hold
// (each value takes at least `min_bytes_per_value` bytes), so a lying shape
// cannot make the decoder allocate more than the input's size.
std::size_t bounded_reserve(std::uint64_t claimed, std::size_t message_bytes,
                            std::size_t min_bytes_per_value) noexcept;

// Throws MessageError unless every value is finite: JSON has no literal for
// NaN or Inf, and a library that writes `null` instead would be silently wrong.
void require_finite(std::span<const double> values, std::string_view what);

}  // namespace interop_bench::serialization
