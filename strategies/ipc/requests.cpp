#include "requests.hpp"

#include <limits>

#include "interop_bench/kernels.hpp"

namespace interop_bench::ipc {
namespace kernels = interop_bench::kernels;

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

std::optional<std::uint64_t> matrix_extent(const Shape& s, std::string& error) {
  if (s.rows == 0 || s.cols == 0) {
    return 0;
  }
  if (s.rows > 1 && s.row_stride < s.cols) {
    error = "matrix row stride " + std::to_string(s.row_stride) + " is shorter than a row of " +
            std::to_string(s.cols) + " elements";
    return std::nullopt;
  }
  // (rows - 1) * row_stride + cols, refusing any overflow.
  const std::uint64_t full_rows = s.rows - 1;
  if (full_rows != 0 && s.row_stride > (kMaxU64 - s.cols) / full_rows) {
    error = "matrix extent overflows (rows " + std::to_string(s.rows) + ", row stride " +
            std::to_string(s.row_stride) + ")";
    return std::nullopt;
  }
  return full_rows * s.row_stride + s.cols;
}

}  // namespace

Answer error_answer(std::string text) {
  Answer answer;
  answer.status = Status::kError;
  answer.error = std::move(text);
  return answer;
}

bool is_kernel_op(std::uint32_t op) noexcept {
  switch (static_cast<Op>(op)) {
    case Op::kSum:
    case Op::kSquare:
    case Op::kMatrixSum:
    case Op::kScale:
    case Op::kProbe:
      return true;
    default:
      return false;
  }
}

std::optional<std::uint64_t> input_elements(Op op, const Shape& shape, std::string& error) {
  if (op == Op::kMatrixSum) {
    return matrix_extent(shape, error);
  }
  return shape.count;
}

std::uint64_t output_elements(Op op, const Shape& shape) noexcept {
  return op == Op::kScale ? shape.count : 0;
}

bool fits(std::uint64_t offset_bytes, std::uint64_t elements,
          std::uint64_t capacity_bytes) noexcept {
  if (offset_bytes % kElementBytes != 0 || offset_bytes > capacity_bytes) {
    return false;
  }
  return elements <= (capacity_bytes - offset_bytes) / kElementBytes;
}

Answer run_kernel(Op op, const Shape& shape, double factor, std::span<double> in,
                  std::span<double> out) {
  Answer answer;
  switch (op) {
    case Op::kSum:
    case Op::kProbe:
      answer.result = kernels::sum(in);
      break;
    case Op::kSquare:
      kernels::square_inplace(in);
      break;
    case Op::kMatrixSum:
      answer.result = shape.rows == 0 || shape.cols == 0
                          ? 0.0
                          : kernels::matrix_sum(in.data(), shape.rows, shape.cols,
                                                shape.rows > 1 ? shape.row_stride : shape.cols);
      break;
    case Op::kScale:
      kernels::scale(in, factor, out);
      break;
    default:
      return error_answer("op " + std::to_string(static_cast<std::uint32_t>(op)) +
                          " is not a kernel op");
  }
  return answer;
}

}  // namespace interop_bench::ipc
