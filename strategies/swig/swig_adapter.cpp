// The kernel core behind swig_adapter.hpp, held to the project's warning flags
// (unlike the wrapper SWIG generates around it).
#include "swig_adapter.hpp"

#include <cstdint>

#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::swig_adapter {

namespace binding = interop_bench::binding;
namespace kernels = interop_bench::kernels;

double sum(kernels::span<const double> values) {
  return binding::run_releasing_gil(values.size(), [values] { return kernels::sum(values); });
}

void square(kernels::span<double> values) {
  binding::run_releasing_gil(values.size(), [values] { kernels::square_inplace(values); });
}

double matrix_sum(binding::StridedMatrix matrix) {
  const auto elements = static_cast<std::size_t>(matrix.rows * matrix.cols);
  return binding::run_releasing_gil(elements, [&matrix] { return binding::matrix_sum(matrix); });
}

void scale(kernels::span<const double> in, kernels::span<double> out, double k) {
  binding::note_result(out.data());
  binding::run_releasing_gil(in.size(), [in, out, k] { kernels::scale(in, k, out); });
}

unsigned long long data_address(kernels::span<const double> values) {
  return reinterpret_cast<std::uintptr_t>(values.data());
}

unsigned long long last_result_address() {
  return binding::last_result_address();
}

}  // namespace interop_bench::swig_adapter
