// The kernel core behind swig_adapter.hpp, held to the project's warning flags
// (unlike the wrapper SWIG generates around it).
#include "swig_adapter.hpp"

#include <cstdint>
#include <stdexcept>

#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::swig_adapter {

namespace binding = interop_bench::binding;
namespace kernels = interop_bench::kernels;

namespace {

template <class T>
kernels::span<T> typed(const Vector& vector) {
  return {static_cast<T*>(vector.data), vector.size};
}

Sum to_sum(double value) {
  Sum sum{Sum::Kind::real, {}};
  sum.real = value;
  return sum;
}
Sum to_sum(float value) {
  return to_sum(static_cast<double>(value));
}
Sum to_sum(std::int64_t value) {
  Sum sum{Sum::Kind::signed_integer, {}};
  sum.signed_integer = value;
  return sum;
}
Sum to_sum(std::uint64_t value) {
  Sum sum{Sum::Kind::unsigned_integer, {}};
  sum.unsigned_integer = value;
  return sum;
}

}  // namespace

Sum sum(Vector values) {
  return interop_bench::visit_dtype(values.type, [&values]<class T>(std::type_identity<T>) {
    const kernels::span<const T> in = typed<T>(values);
    return to_sum(binding::run_releasing_gil(in.size(), [in] { return kernels::sum(in); }));
  });
}

void square(Vector inout) {
  interop_bench::visit_dtype(inout.type, [&inout]<class T>(std::type_identity<T>) {
    const kernels::span<T> values = typed<T>(inout);
    binding::run_releasing_gil(values.size(), [values] { kernels::square_inplace(values); });
  });
}

Sum matrix_sum(Matrix matrix) {
  const auto elements = static_cast<std::size_t>(matrix.rows * matrix.cols);
  return interop_bench::visit_dtype(
      matrix.type, [&matrix, elements]<class T>(std::type_identity<T>) {
        const binding::StridedMatrixOf<T> view{static_cast<const T*>(matrix.data), matrix.rows,
                                               matrix.cols, matrix.row_stride_bytes,
                                               matrix.col_stride_bytes};
        return to_sum(
            binding::run_releasing_gil(elements, [&view] { return binding::matrix_sum(view); }));
      });
}

void scale(Vector in, Vector out, binding::Factor k) {
  binding::note_result(out.data);
  interop_bench::visit_dtype(in.type, [&in, &out, &k]<class T>(std::type_identity<T>) {
    T factor{};
    bool type_error = false;
    if (const char* problem = binding::factor_problem(k, &factor, &type_error)) {
      if (type_error) throw std::invalid_argument(problem);
      throw std::out_of_range(problem);
    }
    const kernels::span<const T> values = typed<T>(in);
    const kernels::span<T> result = typed<T>(out);
    binding::run_releasing_gil(
        values.size(), [values, factor, result] { kernels::scale(values, factor, result); });
  });
}

void frame(binding::FrameView rgb, std::uint8_t* gray) {
  binding::run_releasing_gil(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
}

unsigned long long data_address(Vector values) {
  return reinterpret_cast<std::uintptr_t>(values.data);
}

unsigned long long last_result_address() {
  return binding::last_result_address();
}

}  // namespace interop_bench::swig_adapter
