// What every transport shares: which ops and dtypes exist, how much memory an
// op reads and writes (with overflow-checked arithmetic, because every number
// comes from the other process), and running the kernel of the request's
// element type once the memory is checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "protocol.hpp"

namespace interop_bench::ipc {

// float64's element size: the transports that carry float64 only still use it.
inline constexpr std::uint64_t kElementBytes = sizeof(double);
inline constexpr std::uint64_t kPixelBytes = 3;  // a frame's R, G, B

// Bytes of one element of wire code `dtype`, or 0 when it names no DType.
std::uint64_t element_bytes(std::uint32_t dtype) noexcept;

// The shape part of a request, copied out of shared memory before it is checked
// so that the client cannot change it between the check and the use. Row
// strides count elements of the dtype (a frame's: bytes).
struct Shape {
  std::uint64_t count = 0;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::uint64_t row_stride = 0;
};

// A kernel request whose op, dtype and shape passed check_kernel: the elements
// of `dtype` it reads (and, for square, writes) at its input, and those it
// writes to a separate output (scale's result, frame's gray image).
struct CheckedRequest {
  Op op = Op::kSum;
  DType dtype = DType::float64;
  Shape shape;
  std::uint64_t in_elements = 0;
  std::uint64_t out_elements = 0;

  std::uint64_t in_bytes() const noexcept { return in_elements * item_bytes(dtype); }
  std::uint64_t out_bytes() const noexcept { return out_elements * item_bytes(dtype); }
  std::uint32_t dtype_code() const noexcept { return static_cast<std::uint32_t>(dtype); }
};

struct Answer {
  Status status = Status::kOk;
  double result = 0.0;               // a float dtype's sum (float32's widened, exactly)
  std::uint64_t integer_result = 0;  // an integer dtype's: int64 bits, uint64 for uint8
  std::uint64_t detail = 0;
  std::string error;  // set when status is kError
};

Answer error_answer(std::string text);

// True for the ops that run a kernel (sum, square, matrix_sum, scale, probe, frame).
bool is_kernel_op(std::uint32_t op) noexcept;

// The request `op` over `dtype` with `shape`, or nullopt with `error` set when
// the op runs no kernel, the dtype code is unknown (or not uint8 for a frame),
// or the shape is impossible (a row stride shorter than a row, a product that
// overflows, an extent whose bytes do not fit 64 bits).
std::optional<CheckedRequest> check_kernel(std::uint32_t op, std::uint32_t dtype,
                                           const Shape& shape, std::string& error);

// True when [offset_bytes, offset_bytes + bytes) lies inside [0, capacity_bytes)
// and offset_bytes is a multiple of `alignment` (the element size).
bool fits(std::uint64_t offset_bytes, std::uint64_t bytes, std::uint64_t alignment,
          std::uint64_t capacity_bytes) noexcept;

// Run the kernel of the request's element type over memory already checked to
// hold in_bytes() at `in` and out_bytes() at `out`, both aligned for the dtype.
// `factor` is scale's k: for an integer dtype it must be an integer that the
// type holds, else the answer is an error.
Answer run_kernel(const CheckedRequest& request, double factor, void* in, void* out);

// The float64 kernels alone, for the transports that carry float64 only.
Answer run_kernel(Op op, const Shape& shape, double factor, std::span<double> in,
                  std::span<double> out);

}  // namespace interop_bench::ipc
