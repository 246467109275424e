// What cppyy compiles at run time (cppyy.include, by cling's JIT) over the kernel
// core's own header: NumPy arrays arrive as pointers (cppyy hands a float64
// buffer's address to a double* parameter, no copy) and become the spans that
// kernels.hpp takes; the kernels themselves are the ahead-of-time compiled ones
// of libib_cppyy_kernels.so, which cppyy.load_library loads. Every function
// has a twin in `released`, whose Python proxy releases the GIL
// (__release_gil__): the adapter calls that one from gil_policy.hpp's
// threshold, as the other bindings do. No Python here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::cppyy_adapter {

inline double sum(const double* data, std::size_t n) {
  return kernels::sum({data, n});
}

inline void square(double* data, std::size_t n) {
  kernels::square_inplace({data, n});
}

// A matrix with contiguous rows, as a buffer, or (padded rows, which cppyy's
// buffer conversion refuses) at an address.
inline double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                         std::size_t row_stride_elems) {
  return kernels::matrix_sum(data, rows, cols, row_stride_elems);
}

inline double matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                            std::size_t row_stride_elems) {
  return matrix_sum(reinterpret_cast<const double*>(address), rows, cols, row_stride_elems);
}

inline void scale(const double* in, std::size_t n, double k, double* out) {
  binding::note_result(out);
  kernels::scale({in, n}, k, {out, n});
}

inline std::uintptr_t data_address(const double* data) {
  return reinterpret_cast<std::uintptr_t>(data);
}

inline std::uintptr_t last_result_address() {
  return binding::last_result_address();
}

inline constexpr std::size_t kReleaseGilMinElements = binding::kReleaseGilMinElements;

namespace released {

inline double sum(const double* data, std::size_t n) {
  return cppyy_adapter::sum(data, n);
}

inline void square(double* data, std::size_t n) {
  cppyy_adapter::square(data, n);
}

inline double matrix_sum(const double* data, std::size_t rows, std::size_t cols,
                         std::size_t row_stride_elems) {
  return cppyy_adapter::matrix_sum(data, rows, cols, row_stride_elems);
}

inline double matrix_sum_at(std::uintptr_t address, std::size_t rows, std::size_t cols,
                            std::size_t row_stride_elems) {
  return cppyy_adapter::matrix_sum_at(address, rows, cols, row_stride_elems);
}

inline void scale(const double* in, std::size_t n, double k, double* out) {
  cppyy_adapter::scale(in, n, k, out);
}

}  // namespace released

}  // namespace interop_bench::cppyy_adapter
