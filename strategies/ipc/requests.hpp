// What every transport shares: which ops exist, how much memory an op reads
// and writes (with overflow-checked arithmetic, because every number comes from
// the other process), and running the kernel once the memory is checked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "protocol.hpp"

namespace interop_bench::ipc {

inline constexpr std::uint64_t kElementBytes = sizeof(double);

// The shape part of a request, copied out of shared memory before it is checked
// so that the client cannot change it between the check and the use.
struct Shape {
  std::uint64_t count = 0;
  std::uint64_t rows = 0;
  std::uint64_t cols = 0;
  std::uint64_t row_stride = 0;
};

struct Answer {
  Status status = Status::kOk;
  double result = 0.0;
  std::uint64_t detail = 0;
  std::string error;  // set when status is kError
};

Answer error_answer(std::string text);

// True for the ops that run a kernel (sum, square, matrix_sum, scale, probe).
bool is_kernel_op(std::uint32_t op) noexcept;

// Elements the op reads (and, for square, writes) at its input, or nullopt with
// `error` set when the shape is impossible (a row stride shorter than a row, a
// product that overflows).
std::optional<std::uint64_t> input_elements(Op op, const Shape& shape, std::string& error);

// Elements the op writes to a separate output: scale's count, else 0.
std::uint64_t output_elements(Op op, const Shape& shape) noexcept;

// True when [offset_bytes, offset_bytes + elements * 8) lies inside
// [0, capacity_bytes) and offset_bytes is aligned for a double.
bool fits(std::uint64_t offset_bytes, std::uint64_t elements,
          std::uint64_t capacity_bytes) noexcept;

// Run a kernel op over memory already checked to hold input_elements() at
// `in` and output_elements() at `out`.
Answer run_kernel(Op op, const Shape& shape, double factor, std::span<double> in,
                  std::span<double> out);

}  // namespace interop_bench::ipc
