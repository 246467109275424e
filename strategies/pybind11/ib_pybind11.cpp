// pybind11, used the best honest way: py::array_t<T, py::array::c_style>
// arguments marked .noconvert() (a wrong dtype or layout is a TypeError, never
// a silent forcecast copy, which would also lose square's in-place writes), the
// kernel reads the caller's buffer in place, the GIL is released around large
// kernels, and scale's result (and a frame's gray image) wraps a C++ buffer
// through a capsule.
//
// The dtype axis: each op is one function whose argument is loaded by
// pybind11's own caster of a noconvert py::array_t<T, c_style> for each element
// type in turn, float64 first (array_t<T>::check_: an ndarray whose dtype is
// equivalent to T's, PyArray_EquivTypes, and C-contiguous): the first that
// loads runs T's kernel on the caller's buffer; an array of any other dtype is
// a TypeError naming it, never converted. This is what one overload per dtype
// does, without pybind11's overload dispatch (two passes, each overload tried
// without conversion first), which costs float64's call about 90 instructions (3 %).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <type_traits>

#include "interop_bench/frame_layout.hpp"
#include "interop_bench/gil_policy.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_buffer.hpp"

namespace py = pybind11;
namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

// C-contiguous T: what the ops read.
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

// Why `a` is none of ArrayOf<T> for the five types: not an ndarray, another
// dtype (TypeError), or one of them but not C-contiguous (ValueError).
template <template <class> class ArrayOf>
[[noreturn]] void refuse(py::handle a, const char* what) {
  const std::string op(what);
  if (!py::isinstance<py::array>(a)) {
    throw py::type_error(op + ": expected a numpy.ndarray of float64, float32, int32, int16 or " +
                         "uint8, got " +
                         std::string(py::str(py::type::handle_of(a).attr("__name__"))));
  }
  const auto array = py::reinterpret_borrow<py::array>(a);
  if (Strided<double>::check_(a) || Strided<float>::check_(a) || Strided<std::int32_t>::check_(a) ||
      Strided<std::int16_t>::check_(a) || Strided<std::uint8_t>::check_(a)) {
    throw py::value_error(op + ": array is not C-contiguous; pass np.ascontiguousarray(a)");
  }
  throw py::type_error(op + ": expected dtype float64, float32, int32, int16 or uint8, got " +
                       std::string(py::str(array.dtype())) +
                       " (convert explicitly, e.g. a.astype(np.float64))");
}

// visitor(ArrayOf<T>) when `a` is one, taken by pybind11's own caster of a
// noconvert py::array_t<T> argument (make_caster<array_t<T>>::load(a, false):
// array_t<T>::check_, then ensure), exactly what pybind11 runs for such an
// argument, the caster's default-constructed value (an empty array) included.
template <template <class> class ArrayOf, class T, class Visitor>
bool visit_if(py::handle a, Visitor& visitor, decltype(visitor(ArrayOf<double>{}))* result) {
  py::detail::make_caster<ArrayOf<T>> caster;
  if (!caster.load(a, /*convert=*/false)) return false;
  *result = visitor(py::detail::cast_op<const ArrayOf<T>&>(caster));
  return true;
}

template <template <class> class ArrayOf, class Visitor>
auto dispatch(py::handle a, const char* what, Visitor&& visitor) {
  using Result = decltype(visitor(ArrayOf<double>{}));
  if constexpr (std::is_void_v<Result>) {
    auto run_void = [&visitor](const auto& array) {
      visitor(array);
      return true;
    };
    dispatch<ArrayOf>(a, what, run_void);
  } else {
    {  // float64 first, its result returned as it is made
      py::detail::make_caster<ArrayOf<double>> caster;
      if (caster.load(a, /*convert=*/false)) [[likely]] {
        return visitor(py::detail::cast_op<const ArrayOf<double>&>(caster));
      }
    }
    Result result{};
    if (visit_if<ArrayOf, float>(a, visitor, &result) ||
        visit_if<ArrayOf, std::int32_t>(a, visitor, &result) ||
        visit_if<ArrayOf, std::int16_t>(a, visitor, &result) ||
        visit_if<ArrayOf, std::uint8_t>(a, visitor, &result)) {
      return result;
    }
    refuse<ArrayOf>(a, what);
  }
}

template <class T>
kernels::span<const T> values(const Vector<T>& a, const char* what) {
  require_ndim(a, 1, what);
  return {a.data(), static_cast<std::size_t>(a.size())};
}

py::object sum(py::handle a) {
  return dispatch<Vector>(a, "sum", []<class T>(const Vector<T>& array) {
    const auto in = values(array, "sum");
    return py::cast(run(in.size(), [in] { return kernels::sum(in); }));
  });
}

void square(py::handle a) {
  dispatch<Vector>(a, "square", []<class T>(const Vector<T>& array) {
    require_ndim(array, 1, "square");
    // mutable_data() throws std::domain_error ("array is not writeable"), which
    // pybind11 raises as ValueError, for a read-only array.
    const kernels::span<T> inout{const_cast<Vector<T>&>(array).mutable_data(),
                                 static_cast<std::size_t>(array.size())};
    run(inout.size(), [inout] { kernels::square_inplace(inout); });
  });
}

py::object matrix_sum(py::handle m) {
  return dispatch<Strided>(m, "matrix_sum", []<class T>(const Strided<T>& matrix) {
    require_ndim(matrix, 2, "matrix_sum");
    const binding::StridedMatrixOf<T> view{matrix.data(), matrix.shape(0), matrix.shape(1),
                                           matrix.strides(0), matrix.strides(1)};
    return py::cast(run(static_cast<std::size_t>(matrix.size()),
                        [&view] { return binding::matrix_sum(view); }));
  });
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

// k is read for a's type (factor_of: an integer that fits an integer type).
py::object scale(py::handle a, py::handle factor) {
  return dispatch<Vector>(a, "scale", [factor]<class T>(const Vector<T>& array) -> py::object {
    const auto in = values(array, "scale");
    T k{};
    if (!binding::factor_of(factor.ptr(), &k)) throw py::error_already_set();
    T* out = nullptr;
    py::array_t<T> result = new_result<T>({static_cast<py::ssize_t>(in.size())}, &out);
    run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
    return result;
  });
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

std::uintptr_t data_address(py::handle a) {
  return dispatch<Vector>(a, "data_address", []<class T>(const Vector<T>& array) {
    return reinterpret_cast<std::uintptr_t>(values(array, "data_address").data());
  });
}

}  // namespace

PYBIND11_MODULE(ib_pybind11, m) {
  m.doc() = "interop-bench kernels through pybind11 NumPy arrays, zero-copy";
  m.def("sum", &sum, py::arg("a").noconvert());
  m.def("square", &square, py::arg("a").noconvert());
  m.def("matrix_sum", &matrix_sum, py::arg("m").noconvert());
  m.def("scale", &scale, py::arg("a").noconvert(), py::arg("k"));
  m.def("frame", &frame, py::arg("image").noconvert());
  m.def("data_address", &data_address, py::arg("a").noconvert());
  // For the tests (result_record.hpp): where scale last wrote, and the buffers alive.
  m.def("last_result_address", [] { return binding::last_result_address(); });
  m.def("result_buffers_alive", [] { return binding::result_buffers_alive.load(); });
}
