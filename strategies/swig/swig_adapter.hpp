// What the SWIG module wraps: ib_swig.i %includes this header, so SWIG writes one
// wrapper per declaration, and its typemaps turn each Python argument into the
// span or strided view declared here (buffer protocol, no copy). The functions
// call the kernel core, releasing the GIL around large kernels as every binding
// does (gil_policy.hpp). No Python object crosses this header.
#pragma once

#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"

namespace interop_bench::swig_adapter {

double sum(interop_bench::kernels::span<const double> values);

void square(interop_bench::kernels::span<double> values);

// Any strided view: in place when its rows or columns are contiguous (matrix_layout.hpp).
double matrix_sum(interop_bench::binding::StridedMatrix matrix);

// out[i] = in[i] * k. `out` follows `in` (not the kernel's order) because one
// multi-argument typemap makes both from the one Python array: `out` is the new
// result array, as long as `in`; Python calls scale(a, k).
void scale(interop_bench::kernels::span<const double> in, interop_bench::kernels::span<double> out,
           double k);

// The address the wrapper passed for `values` (the conformance suite compares it
// with the array's own) and where scale last wrote its result.
unsigned long long data_address(interop_bench::kernels::span<const double> values);
unsigned long long last_result_address();

}  // namespace interop_bench::swig_adapter
