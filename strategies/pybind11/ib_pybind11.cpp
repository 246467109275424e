// pybind11, used the best honest way: py::array_t<double, c_style> arguments
// marked .noconvert() (a wrong dtype or layout is a TypeError, never a silent
// copy), the kernel reads the caller's buffer in place, the GIL is released
// around large kernels, and scale's result wraps a C++ buffer through a capsule.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/result_buffer.hpp"

namespace py = pybind11;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

// C-contiguous float64: the caster refuses anything else when not converting.
using Vector = py::array_t<double, py::array::c_style>;
// Any layout: matrix_sum reads strided views itself.
using Matrix = py::array_t<double>;

template <class Kernel>
decltype(auto) run(std::size_t elements, Kernel&& kernel) {
  return binding::run_kernel<py::gil_scoped_release>(elements, kernel);
}

// The caster checks dtype and contiguity but not the number of dimensions.
void require_ndim(const py::array& a, py::ssize_t ndim, const char* what) {
  if (a.ndim() != ndim) {
    throw py::value_error(std::string(what) + ": expected a " + std::to_string(ndim) +
                          "-D array, got " + std::to_string(a.ndim()) + "-D");
  }
}

kernels::span<const double> values(const Vector& a, const char* what) {
  require_ndim(a, 1, what);
  return {a.data(), static_cast<std::size_t>(a.size())};
}

double sum(const Vector& a) {
  const auto in = values(a, "sum");
  return run(in.size(), [in] { return kernels::sum(in); });
}

void square(Vector& a) {
  require_ndim(a, 1, "square");
  // mutable_data() throws std::domain_error ("array is not writeable"), which
  // pybind11 raises as ValueError, for a read-only array.
  const kernels::span<double> inout{a.mutable_data(), static_cast<std::size_t>(a.size())};
  run(inout.size(), [inout] { kernels::square_inplace(inout); });
}

double matrix_sum(const Matrix& m) {
  require_ndim(m, 2, "matrix_sum");
  const binding::StridedMatrix view{m.data(), m.shape(0), m.shape(1), m.strides(0), m.strides(1)};
  return run(static_cast<std::size_t>(m.size()), [&view] { return binding::matrix_sum(view); });
}

// The result wraps a C++-allocated buffer that a capsule owns: nothing is copied out.
py::array_t<double> scale(const Vector& a, double k) {
  const auto in = values(a, "scale");
  binding::ResultBuffer buffer = binding::allocate_result(in.size());
  const py::capsule owner(buffer.get(), binding::free_result);
  double* out = buffer.release();  // the capsule owns it now
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return py::array_t<double>({in.size()}, {sizeof(double)}, out, owner);
}

std::uintptr_t data_address(const Vector& a) {
  return reinterpret_cast<std::uintptr_t>(values(a, "data_address").data());
}

}  // namespace

PYBIND11_MODULE(ib_pybind11, m) {
  m.doc() = "interop-bench kernels through pybind11 NumPy arrays, zero-copy";
  m.def("sum", &sum, py::arg("a").noconvert());
  m.def("square", &square, py::arg("a").noconvert());
  m.def("matrix_sum", &matrix_sum, py::arg("m").noconvert());
  m.def("scale", &scale, py::arg("a").noconvert(), py::arg("k"));
  m.def("data_address", &data_address, py::arg("a").noconvert());
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
