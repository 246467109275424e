// The request every serialization strategy decodes (JSON, simdjson, FlatBuffers,
// MessagePack, protobuf, Cap'n Proto) and the checks they share, so that a
// message means the same thing in every format and a hostile one is refused
// the same way.
//
// A request carries its element type (DType, interop_bench/dtype.hpp): the
// values travel as that type, and execute.hpp runs the kernel of that type. The frame op carries an
// image's rows packed (rows x cols pixels of 3 uint8 channels) and answers rows x cols uint8 gray
// values.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "interop_bench/dtype.hpp"

namespace interop_bench::serialization {

// Any refusal of a message (malformed, wrong shape, unencodable result). The
// Python binding turns it into ValueError; the fuzz targets expect only it.
class MessageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Op : std::uint8_t { sum, square, matrix_sum, scale, frame };
// A frame's values per pixel: R, G, B.
inline constexpr std::size_t frame_channels = 3;

// "sum" -> Op::sum; nullopt for anything else.
std::optional<Op> op_from_name(std::string_view name) noexcept;

// A format's numeric dtype code (dtype.hpp's wire code) as a DType;
// MessageError naming `code` and the known codes for anything else.
DType checked_dtype(std::uint64_t code);

// A number as a message holds it (JSON and MessagePack tell integers from
// floats): scale's factor as received, or a sum as the kernel returns it
// (sum_t<T>; a float32 sum widened to double, exactly).
using Number = std::variant<double, std::int64_t, std::uint64_t>;

// `value` as a T, or nullopt when it does not fit: an integer T takes integers
// within its range only (never a float, not even an integral one: an integer
// never goes through a float); a float T takes any number within its finite
// range (rounded to the nearest float32 for float32).
// (Inline: decoders call them once per element.)
template <class T>
std::optional<T> value_of(double value) noexcept {
  if constexpr (std::is_integral_v<T>) {
    return std::nullopt;
  } else if constexpr (std::is_same_v<T, float>) {
    // A finite double past float's range is undefined behaviour to convert.
    if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<float>::max()) {
      return std::nullopt;
    }
    return static_cast<float>(value);
  } else {
    return value;
  }
}
template <class T>
std::optional<T> value_of(std::int64_t value) noexcept {
  if constexpr (std::is_integral_v<T>) {
    if (!std::in_range<T>(value)) return std::nullopt;
  }
  return static_cast<T>(value);
}
template <class T>
std::optional<T> value_of(std::uint64_t value) noexcept {
  if constexpr (std::is_integral_v<T>) {
    if (!std::in_range<T>(value)) return std::nullopt;
  }
  return static_cast<T>(value);
}
template <class T>
std::optional<T> value_of(const Number& number) noexcept {
  return std::visit([](auto value) { return value_of<T>(value); }, number);
}
// "1.5", "-3", "7": a Number for error messages.
std::string to_string(const Number& number);

// A message's shape: [n] for the vector operations, [rows, cols] for
// matrix_sum and frame (a frame's pixels, 3 values each).
struct Shape {
  static constexpr std::size_t max_dims = 2;
  std::uint64_t dims[max_dims] = {0, 0};
  std::size_t ndim = 0;

  // Appends one dimension; throws MessageError past max_dims.
  void push(std::uint64_t dim);
  // The product of the dimensions, saturating at UINT64_MAX; 0 without any.
  std::uint64_t claimed_elements() const noexcept;
};

// Values a codec decodes itself (not read in place from the message), in the
// request's element type: one vector per DType, in DType's order.
using OwnedValues = std::variant<std::vector<double>, std::vector<float>, std::vector<std::int32_t>,
                                 std::vector<std::int16_t>, std::vector<std::uint8_t>>;

struct Request {
  Op op = Op::sum;
  DType dtype = DType::float64;  // of the values, and of square's and scale's results
  std::size_t rows = 0;          // 1 for the vector operations
  std::size_t cols = 0;          // elements per row (pixels per row for frame)
  Number k = 0.0;                // scale's factor as received (see factor())
  // The values' bytes, row-major, aligned for `dtype`: a view of `owned`
  // (decoded formats), of the message itself (read in place) or of `decoded`.
  std::span<const std::byte> data;
  OwnedValues owned;
  // What `data` points into when it is neither `owned` nor the message (the
  // object protobuf parsed the message into), kept alive with the request.
  std::shared_ptr<const void> decoded;

  std::size_t count() const noexcept { return data.size() / item_bytes(dtype); }

  template <class T>
  std::span<const T> values() const noexcept {
    return {reinterpret_cast<const T*>(data.data()), data.size() / sizeof(T)};
  }

  // scale's factor as a T; valid after check_request, which refuses one that does not fit.
  template <class T>
  T factor() const noexcept {
    return *value_of<T>(k);
  }

  // `owned` as an empty vector of T and `dtype` as T's, for a decoder to fill
  // and then call use_owned().
  template <class T>
  std::vector<T>& own() {
    dtype = dtype_of<T>();
    return owned.emplace<std::vector<T>>();
  }

  // data = the bytes of `owned`.
  void use_owned() noexcept;

  // data = `values`, read in place (they must outlive the request's use).
  template <class T>
  void view(std::span<const T> values) noexcept {
    dtype = dtype_of<T>();
    data = std::as_bytes(values);
  }

  // data = `bytes`, a format's raw little-endian values of `dtype`: read in
  // place when aligned for `dtype`, else copied once into `owned`. Throws
  // MessageError when they are not a whole number of values.
  void view_bytes(DType of, std::span<const std::uint8_t> bytes);

  // The values as writable memory when the request owns them, else empty.
  std::span<std::byte> owned_values() noexcept;
};

// The type and number of elements of an op's array result: the request's
// dtype and count for square and scale, rows x cols uint8 for frame.
DType result_dtype(const Request& request) noexcept;
std::size_t result_count(const Request& request) noexcept;
inline std::size_t result_bytes(const Request& request) noexcept {
  return result_count(request) * item_bytes(result_dtype(request));
}

// The result storage of codecs that decode into Request::owned (both JSON
// codecs, msgpack-list, capnp-list): the kernel overwrites the decoded values
// (scale's kernel allows exact aliasing), so no second buffer is needed; a
// frame's gray image (a third of its input) gets a buffer of its own.
class InPlaceResult {
 public:
  std::span<std::byte> array(Request& request, bool copy_input);

 protected:
  template <class T>
  std::span<const T> result_values() const noexcept {
    return {reinterpret_cast<const T*>(result_.data()), result_.size() / sizeof(T)};
  }

  std::span<const std::byte> result_;
  DType result_dtype_ = DType::float64;

 private:
  std::unique_ptr<std::byte[]> gray_;
};

// Fills rows/cols from `shape` after checking it and the dtype against the op,
// against the number of values actually received, and scale's factor against
// the dtype; throws MessageError naming the mismatch. `has_k` says whether
// the message carried a factor.
void check_request(Request& request, const Shape& shape, bool has_k);

// How many values to reserve before decoding a data array that the message
// claims holds `claimed` elements: never more than the message could hold
// (each value takes at least `min_bytes_per_value` bytes), so a lying shape
// cannot make the decoder allocate more than the input's size.
std::size_t bounded_reserve(std::uint64_t claimed, std::size_t message_bytes,
                            std::size_t min_bytes_per_value) noexcept;

// Throws MessageError unless every value is finite: JSON has no literal for
// NaN or Inf, and a library that writes `null` instead would be silently wrong.
// Integer values are always finite.
void require_finite(std::span<const double> values, std::string_view what);
void require_finite(std::span<const float> values, std::string_view what);
template <class T>
void require_finite(std::span<const T>, std::string_view) noexcept requires std::is_integral_v<T> {}

}  // namespace interop_bench::serialization
