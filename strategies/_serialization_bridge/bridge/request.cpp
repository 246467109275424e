#include "request.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace interop_bench::serialization {
std::optional<Op> op_from_name(std::string_view name) noexcept {
  if (name == "sum") return Op::sum;
  if (name == "square") return Op::square;
  if (name == "matrix_sum") return Op::matrix_sum;
  if (name == "scale") return Op::scale;
  if (name == "frame") return Op::frame;
  return std::nullopt;
}

DType checked_dtype(std::uint64_t code) {
  if (const std::optional<DType> dtype = dtype_from_code(code)) return *dtype;
  std::string known;
  for (std::size_t i = 0; i < dtype_count; ++i) {
    known += (i ? ", " : "") + std::to_string(i) + " " + dtype_name(static_cast<DType>(i));
  }
  throw MessageError("unknown dtype code " + std::to_string(code) + " (known: " + known + ")");
}

std::string to_string(const Number& number) {
  // Shortest round-trip digits: std::to_string writes 1e300 with all 301 digits.
  char text[32];
  const auto end = std::visit(
      [&](auto value) { return std::to_chars(text, text + sizeof text, value).ptr; }, number);
  return std::string(text, end);
}

void Shape::push(std::uint64_t dim) {
  if (ndim == max_dims) throw MessageError("shape has more than 2 dimensions");
  dims[ndim++] = dim;
}

std::uint64_t Shape::claimed_elements() const noexcept {
  std::uint64_t count = ndim ? 1 : 0;
  for (std::size_t i = 0; i < ndim; ++i) {
    count = dims[i] == 0 || count <= UINT64_MAX / dims[i] ? count * dims[i] : UINT64_MAX;
  }
  return count;
}

void Request::use_owned() noexcept {
  data = std::visit([](const auto& values) { return std::as_bytes(std::span(values)); }, owned);
}

void Request::view_bytes(DType of, std::span<const std::uint8_t> bytes) {
  const std::size_t item = item_bytes(of);
  if (bytes.size() % item != 0) {
    throw MessageError("the data holds " + std::to_string(bytes.size()) +
                       " bytes, not a whole number of " + std::string(dtype_name(of)) +
                       " values (" + std::to_string(item) + " bytes each)");
  }
  dtype = of;
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % item == 0) {
    data = std::as_bytes(bytes);
    return;
  }
  visit_dtype(of, [&]<class T>(std::type_identity<T>) {
    std::vector<T>& values = own<T>();
    values.resize(bytes.size() / sizeof(T));
    std::memcpy(values.data(), bytes.data(), bytes.size());
  });
  use_owned();
}

std::span<std::byte> Request::owned_values() noexcept {
  const std::span<std::byte> bytes =
      std::visit([](auto& values) { return std::as_writable_bytes(std::span(values)); }, owned);
  return data.data() == bytes.data() ? bytes : std::span<std::byte>();
}

DType result_dtype(const Request& request) noexcept {
  return request.op == Op::frame ? DType::uint8 : request.dtype;
}

std::size_t result_count(const Request& request) noexcept {
  return request.op == Op::frame ? request.rows * request.cols : request.count();
}

std::span<std::byte> InPlaceResult::array(Request& request, bool /*copy_input*/) {
  result_dtype_ = result_dtype(request);
  if (request.op == Op::frame) {
    const std::size_t count = result_count(request);
    gray_.reset(new std::byte[count]);  // uninitialised: the kernel writes every byte
    const std::span<std::byte> gray(gray_.get(), count);
    result_ = gray;
    return gray;
  }
  const std::span<std::byte> values = request.owned_values();
  result_ = values;
  return values;
}

void check_request(Request& request, const Shape& shape, bool has_k) {
  const bool is_matrix = request.op == Op::matrix_sum || request.op == Op::frame;
  const std::size_t want_ndim = is_matrix ? 2 : 1;
  if (shape.ndim != want_ndim) {
    throw MessageError("shape has " + std::to_string(shape.ndim) + " dimension(s), the op needs " +
                       std::to_string(want_ndim));
  }
  if (request.op == Op::frame && request.dtype != DType::uint8) {
    throw MessageError("frame takes uint8 pixels, not " + std::string(dtype_name(request.dtype)));
  }
  const std::uint64_t rows = is_matrix ? shape.dims[0] : 1;
  const std::uint64_t cols = is_matrix ? shape.dims[1] : shape.dims[0];
  const std::uint64_t per_element = request.op == Op::frame ? frame_channels : 1u;
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  if (cols != 0 && (rows > max / cols || rows * cols > max / per_element)) {
    throw MessageError("shape overflows: more elements than a 64-bit count holds");
  }
  const std::uint64_t elements = rows * cols * per_element;
  if (elements != request.count()) {
    throw MessageError("shape says " + std::to_string(elements) + " elements, data holds " +
                       std::to_string(request.count()));
  }
  if (has_k != (request.op == Op::scale)) {
    throw MessageError(has_k ? "k is only allowed for scale" : "scale needs k");
  }
  if (has_k && !visit_dtype(request.dtype, [&]<class T>(std::type_identity<T>) {
        return value_of<T>(request.k).has_value();
      })) {
    const bool integers = request.dtype != DType::float64 && request.dtype != DType::float32;
    throw MessageError("k = " + to_string(request.k) + " does not fit " +
                       std::string(dtype_name(request.dtype)) +
                       (integers ? " (an integer array is scaled by an integer within its range)"
                                 : " (a float32 array is scaled within float32's range)"));
  }
  // An empty matrix claiming 2^60 rows of 0 columns would make the kernel walk
  // 2^60 empty rows (found by the fuzzer): empty is empty.
  const bool empty = request.data.empty();
  request.rows = empty ? 0 : static_cast<std::size_t>(rows);
  request.cols = empty ? 0 : static_cast<std::size_t>(cols);
}

std::size_t bounded_reserve(std::uint64_t claimed, std::size_t message_bytes,
                            std::size_t min_bytes_per_value) noexcept {
  const std::uint64_t possible = message_bytes / min_bytes_per_value;
  return static_cast<std::size_t>(claimed < possible ? claimed : possible);
}

namespace {

template <class T>
void require_finite_values(std::span<const T> values, std::string_view what) {
  // v * 0 is 0 for finite v and NaN for NaN or Inf: one branch-free pass that
  // vectorises, then a second look only to name the culprit.
  T poison = 0;
  for (const T v : values) poison += v * T(0);
  if (poison == T(0)) return;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw MessageError(std::string(what) + "[" + std::to_string(i) + "] is " +
                         (std::isnan(values[i]) ? "NaN" : "Inf") + ", which JSON cannot represent");
    }
  }
}

}  // namespace

void require_finite(std::span<const double> values, std::string_view what) {
  require_finite_values(values, what);
}

void require_finite(std::span<const float> values, std::string_view what) {
  require_finite_values(values, what);
}

}  // namespace interop_bench::serialization
