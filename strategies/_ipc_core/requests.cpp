#include "requests.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "interop_bench/kernels.hpp"

namespace interop_bench::ipc {
namespace kernels = interop_bench::kernels;

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// Elements from the first of a rows x cols matrix (each row `cols` elements,
// row starts `row_stride` apart) to one past its last: (rows - 1) * row_stride
// + cols, refusing a stride shorter than a row and any overflow.
std::optional<std::uint64_t> rows_extent(const Shape& s, std::uint64_t cols, std::string& error) {
  if (s.rows == 0 || cols == 0) {
    return 0;
  }
  if (s.rows > 1 && s.row_stride < cols) {
    error = "row stride " + std::to_string(s.row_stride) + " is shorter than a row of " +
            std::to_string(cols) + " elements";
    return std::nullopt;
  }
  const std::uint64_t full_rows = s.rows - 1;
  if (full_rows != 0 && s.row_stride > (kMaxU64 - cols) / full_rows) {
    error = "extent overflows (rows " + std::to_string(s.rows) + ", row stride " +
            std::to_string(s.row_stride) + ")";
    return std::nullopt;
  }
  return full_rows * s.row_stride + cols;
}

// A frame reads rows of cols RGB pixels and writes rows * cols gray bytes.
bool frame_extents(const Shape& s, CheckedRequest& checked, std::string& error) {
  if (s.cols > kMaxU64 / kPixelBytes) {
    error = "frame of " + std::to_string(s.cols) + " pixels per row overflows";
    return false;
  }
  const auto in = rows_extent(s, s.cols * kPixelBytes, error);
  if (!in) {
    return false;
  }
  if (s.cols != 0 && s.rows > kMaxU64 / s.cols) {
    error = "frame of " + std::to_string(s.rows) + " x " + std::to_string(s.cols) + " overflows";
    return false;
  }
  checked.in_elements = *in;
  checked.out_elements = s.rows * s.cols;
  return true;
}

// The integer k that scale multiplies an array of T by, or nullopt when
// `factor` is not an integer that T holds (converting it would be undefined).
template <class T>
std::optional<T> integer_factor(double factor) {
  constexpr auto lowest = static_cast<double>(std::numeric_limits<T>::lowest());
  constexpr auto highest = static_cast<double>(std::numeric_limits<T>::max());
  if (!(factor >= lowest && factor <= highest) || std::trunc(factor) != factor) {
    return std::nullopt;
  }
  return static_cast<T>(factor);
}

// A sum of T into the answer's field for T's kind.
template <class T>
void set_sum(Answer& answer, kernels::sum_t<T> total) {
  if constexpr (std::is_floating_point_v<T>) {
    answer.result = static_cast<double>(total);
  } else {
    answer.integer_result = static_cast<std::uint64_t>(total);  // two's complement bits
  }
}

template <class T>
Answer run_typed(const CheckedRequest& r, double factor, T* in, T* out) {
  Answer answer;
  const std::span<T> input(in, r.in_elements);
  const Shape& s = r.shape;
  switch (r.op) {
    case Op::kSum:
    case Op::kProbe:
      set_sum<T>(answer, kernels::sum(std::span<const T>(input)));
      break;
    case Op::kSquare:
      kernels::square_inplace(input);
      break;
    case Op::kMatrixSum:
      set_sum<T>(answer,
                 s.rows == 0 || s.cols == 0
                     ? kernels::sum_t<T>{}
                     : kernels::matrix_sum(in, s.rows, s.cols, s.rows > 1 ? s.row_stride : s.cols));
      break;
    case Op::kScale: {
      std::optional<T> k;
      if constexpr (std::is_floating_point_v<T>) {
        k = static_cast<T>(factor);
      } else {
        k = integer_factor<T>(factor);
      }
      if (!k) {
        return error_answer("scale factor " + std::to_string(factor) + " is not an integer of " +
                            "the array's type");
      }
      kernels::scale(std::span<const T>(input), *k, std::span<T>(out, r.out_elements));
      break;
    }
    default:
      return error_answer("op " + std::to_string(static_cast<std::uint32_t>(r.op)) +
                          " is not a kernel op of dtype " + std::to_string(r.dtype_code()));
  }
  return answer;
}

Answer run_frame(const CheckedRequest& r, const void* in, void* out) {
  const Shape& s = r.shape;
  if (s.rows != 0 && s.cols != 0) {
    kernels::frame_to_gray(static_cast<const std::uint8_t*>(in), s.rows, s.cols,
                           s.rows > 1 ? s.row_stride : s.cols * kPixelBytes,
                           static_cast<std::uint8_t*>(out));
  }
  return Answer{};
}

}  // namespace

std::uint64_t element_bytes(std::uint32_t dtype) noexcept {
  const std::optional<DType> type = dtype_from_code(dtype);
  return type ? item_bytes(*type) : 0;
}

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
    case Op::kFrame:
      return true;
    default:
      return false;
  }
}

std::optional<CheckedRequest> check_kernel(std::uint32_t op, std::uint32_t dtype,
                                           const Shape& shape, std::string& error) {
  if (!is_kernel_op(op)) {
    error = "unknown op " + std::to_string(op);
    return std::nullopt;
  }
  const std::uint64_t item = element_bytes(dtype);
  if (item == 0) {
    error = "unknown dtype code " + std::to_string(dtype);
    return std::nullopt;
  }
  CheckedRequest checked;
  checked.op = static_cast<Op>(op);
  checked.dtype = static_cast<DType>(dtype);
  checked.shape = shape;
  if (checked.op == Op::kFrame) {
    if (checked.dtype != DType::uint8) {
      error = "a frame is uint8 (dtype code " + std::to_string(dtype) + " given)";
      return std::nullopt;
    }
    if (!frame_extents(shape, checked, error)) {
      return std::nullopt;
    }
  } else if (checked.op == Op::kMatrixSum) {
    const auto extent = rows_extent(shape, shape.cols, error);
    if (!extent) {
      return std::nullopt;
    }
    checked.in_elements = *extent;
  } else {
    checked.in_elements = shape.count;
    checked.out_elements = checked.op == Op::kScale ? shape.count : 0;
  }
  if (checked.in_elements > kMaxU64 / item || checked.out_elements > kMaxU64 / item) {
    error = "array of " + std::to_string(checked.in_elements) + " elements of " +
            std::to_string(item) + " bytes overflows";
    return std::nullopt;
  }
  return checked;
}

bool fits(std::uint64_t offset_bytes, std::uint64_t bytes, std::uint64_t alignment,
          std::uint64_t capacity_bytes) noexcept {
  if (alignment == 0 || offset_bytes % alignment != 0 || offset_bytes > capacity_bytes) {
    return false;
  }
  return bytes <= capacity_bytes - offset_bytes;
}

Answer run_kernel(const CheckedRequest& request, double factor, void* in, void* out) {
  if (request.op == Op::kFrame && request.dtype == DType::uint8) {
    return run_frame(request, in, out);
  }
  return visit_dtype(request.dtype, [&]<class T>(std::type_identity<T>) {
    return run_typed(request, factor, static_cast<T*>(in), static_cast<T*>(out));
  });
}

Answer run_kernel(Op op, const Shape& shape, double factor, std::span<double> in,
                  std::span<double> out) {
  CheckedRequest request;
  request.op = op;
  request.shape = shape;
  request.in_elements = in.size();
  request.out_elements = out.size();
  return run_kernel(request, factor, in.data(), out.data());
}

}  // namespace interop_bench::ipc
