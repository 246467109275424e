#include "request.hpp"

#include <cmath>
#include <limits>

namespace interop_bench::serialization {

std::optional<Op> op_from_name(std::string_view name) noexcept {
  if (name == "sum") return Op::sum;
  if (name == "square") return Op::square;
  if (name == "matrix_sum") return Op::matrix_sum;
  if (name == "scale") return Op::scale;
  return std::nullopt;
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

void check_request(Request& request, const Shape& shape, bool has_k) {
  const bool is_matrix = request.op == Op::matrix_sum;
  const std::size_t want_ndim = is_matrix ? 2 : 1;
  if (shape.ndim != want_ndim) {
    throw MessageError("shape has " + std::to_string(shape.ndim) + " dimension(s), the op needs " +
                       std::to_string(want_ndim));
  }
  const std::uint64_t rows = is_matrix ? shape.dims[0] : 1;
  const std::uint64_t cols = is_matrix ? shape.dims[1] : shape.dims[0];
  if (cols != 0 && rows > std::numeric_limits<std::uint64_t>::max() / cols) {
    throw MessageError("shape overflows: more elements than a 64-bit count holds");
  }
  if (rows * cols != request.data.size()) {
    throw MessageError("shape says " + std::to_string(rows * cols) + " elements, data holds " +
                       std::to_string(request.data.size()));
  }
  if (has_k != (request.op == Op::scale)) {
    throw MessageError(has_k ? "k is only allowed for scale" : "scale needs k");
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

void require_finite(std::span<const double> values, std::string_view what) {
  // v * 0 is 0 for finite v and NaN for NaN or Inf: one branch-free pass that
  // vectorises, then a second look only to name the culprit.
  double poison = 0.0;
  for (const double v : values) poison += v * 0.0;
  if (poison == 0.0) return;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw MessageError(std::string(what) + "[" + std::to_string(i) + "] is " +
                         (std::isnan(values[i]) ? "NaN" : "Inf") + ", which JSON cannot represent");
    }
  }
}

}  // namespace interop_bench::serialization
