// The kernel core: the operations every strategy exposes, over plain memory.
//
// This header is the whole public face of the core. It knows nothing of Python,
// of any binding library or of I/O, so every strategy calls exactly the same code
// and the native floors measured by harness/ are the floors of every strategy.
#pragma once

#include <cstddef>
#include <span>

namespace interop_bench::kernels {

template <class T>
using span = std::span<T>;

// Sum of all elements. The summation order is fixed (16 interleaved
// accumulators combined pairwise), so the result is deterministic for a given
// input and length; NaN and Inf propagate as IEEE 754 says.
double sum(span<const double> values) noexcept;

// values[i] = values[i] * values[i], in place.
void square_inplace(span<double> values) noexcept;

// Sum of a rows x cols matrix whose row r starts at data + r * row_stride_elems
// (row_stride_elems >= cols), so padded images and row-sliced views need no copy.
double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                  std::size_t row_stride_elems) noexcept;

// out[i] = in[i] * k. `in` and `out` must have the same size; they may be the
// same memory (exact aliasing), but must not partially overlap.
void scale(span<const double> in, double k, span<double> out) noexcept;

}  // namespace interop_bench::kernels
