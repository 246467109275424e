// The extern "C" face of the kernel core: no logic beyond turning pointers and
// sizes into spans, so a ctypes call costs ctypes plus the kernel.
#include "ib_ctypes.h"

#include "interop_bench/kernels.hpp"

namespace kernels = interop_bench::kernels;

extern "C" {

double ib_sum(const double* data, size_t n) {
  return kernels::sum({data, n});
}

void ib_square(double* data, size_t n) {
  kernels::square_inplace({data, n});
}

double ib_matrix_sum(const double* data, size_t rows, size_t cols, size_t row_stride_elems) {
  return kernels::matrix_sum(data, rows, cols, row_stride_elems);
}

void ib_scale(const double* in, size_t n, double k, double* out) {
  kernels::scale({in, n}, k, {out, n});
}

uintptr_t ib_data_address(const double* data) {
  return reinterpret_cast<uintptr_t>(data);
}

}  // extern "C"
