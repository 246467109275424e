// The extern "C" face of the kernel core: no logic beyond turning pointers and
// sizes into spans, so a ctypes call costs ctypes plus the kernel.
#include "ib_ctypes.h"

#include "interop_bench/kernels.hpp"
#include "interop_bench/result_record.hpp"

namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

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
  binding::note_result(out);
  kernels::scale({in, n}, k, {out, n});
}

uintptr_t ib_last_result_address(void) {
  return binding::last_result_address();
}

uintptr_t ib_data_address(const double* data) {
  return reinterpret_cast<uintptr_t>(data);
}

}  // extern "C"
