// pybind11, used the best honest way: py::array_t<T, py::array::c_style>
// arguments marked .noconvert() (a wrong dtype or layout is a TypeError, never
// a silent forcecast copy, which would also lose square's in-place writes), the
// kernel reads the caller's buffer in place, the GIL is released around large
// kernels, and scale's result (and a frame's gray image) wraps a C++ buffer
// through a capsule.
//
// The dtype axis is one overload per element type, float64's registered first:
// pybind11 tries overloads in order, so a float64 call matches at its first try
// and pays what it paid before; every other dtype is the caster's own exact
// dtype check (PyArray_EquivTypes), never a conversion.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "interop_bench/frame_layout.hpp"
#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/result_buffer.hpp"

namespace py = pybind11;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

// C-contiguous T: the caster refuses anything else when not converting.
template <class T>
using Vector = py::array_t<T, py::array::c_style>;
// Any layout: matrix_sum and frame read strided views themselves.
template <class T>
using Strided = py::array_t<T>;

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

template <class T>
kernels::span<const T> values(const Vector<T>& a, const char* what) {
  require_ndim(a, 1, what);
  return {a.data(), static_cast<std::size_t>(a.size())};
}

template <class T>
kernels::sum_t<T> sum(const Vector<T>& a) {
  const auto in = values(a, "sum");
  return run(in.size(), [in] { return kernels::sum(in); });
}

template <class T>
void square(Vector<T>& a) {
  require_ndim(a, 1, "square");
  // mutable_data() throws std::domain_error ("array is not writeable"), which
  // pybind11 raises as ValueError, for a read-only array.
  const kernels::span<T> inout{a.mutable_data(), static_cast<std::size_t>(a.size())};
  run(inout.size(), [inout] { kernels::square_inplace(inout); });
}

template <class T>
kernels::sum_t<T> matrix_sum(const Strided<T>& m) {
  require_ndim(m, 2, "matrix_sum");
  const binding::StridedMatrixOf<T> view{m.data(), m.shape(0), m.shape(1), m.strides(0),
                                         m.strides(1)};
  return run(static_cast<std::size_t>(m.size()), [&view] { return binding::matrix_sum(view); });
}

// A new array of `shape` over a C++ buffer that a capsule owns; `*out` is where to write.
template <class T>
py::array_t<T> new_result(std::vector<py::ssize_t> shape, T** out) {
  py::ssize_t elements = 1;
  for (const py::ssize_t extent : shape) elements *= extent;
  binding::ResultBuffer<T> buffer = binding::allocate_result<T>(static_cast<std::size_t>(elements));
  const py::capsule owner(buffer.get(), binding::free_result);
  *out = buffer.release();  // the capsule owns it now
  return py::array_t<T>(std::move(shape), *out, owner);
}

// k has a's type: pybind11's caster for an integer T refuses a float and an
// int out of T's range (the overload does not match: a TypeError).
template <class T>
py::array_t<T> scale(const Vector<T>& a, T k) {
  const auto in = values(a, "scale");
  T* out = nullptr;
  py::array_t<T> result = new_result<T>({static_cast<py::ssize_t>(in.size())}, &out);
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return result;
}

// The view is read in place at its row stride (frame_layout.hpp checks it).
py::array_t<std::uint8_t> frame(const Strided<std::uint8_t>& image) {
  binding::FrameView rgb{};
  if (const char* problem =
          binding::frame_view(image.data(), image.ndim(), image.shape(), image.strides(), &rgb)) {
    throw py::value_error(std::string("frame: ") + problem);
  }
  std::uint8_t* gray = nullptr;
  py::array_t<std::uint8_t> result = new_result<std::uint8_t>(
      {static_cast<py::ssize_t>(rgb.rows), static_cast<py::ssize_t>(rgb.cols)}, &gray);
  run(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
  return result;
}

template <class T>
std::uintptr_t data_address(const Vector<T>& a) {
  return reinterpret_cast<std::uintptr_t>(values(a, "data_address").data());
}

// One overload of each op for T.
template <class T>
void define_ops(py::module_& m) {
  m.def("sum", &sum<T>, py::arg("a").noconvert());
  m.def("square", &square<T>, py::arg("a").noconvert());
  m.def("matrix_sum", &matrix_sum<T>, py::arg("m").noconvert());
  m.def("scale", &scale<T>, py::arg("a").noconvert(), py::arg("k"));
  m.def("data_address", &data_address<T>, py::arg("a").noconvert());
}

}  // namespace

PYBIND11_MODULE(ib_pybind11, m) {
  m.doc() = "interop-bench kernels through pybind11 NumPy arrays, zero-copy";
  define_ops<double>(m);  // first: float64 matches at the first try
  define_ops<float>(m);
  define_ops<std::int32_t>(m);
  define_ops<std::int16_t>(m);
  define_ops<std::uint8_t>(m);
  m.def("frame", &frame, py::arg("image").noconvert());
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
