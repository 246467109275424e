// DLPack: every argument is taken through the DLPack Python protocol (the
// module calls `a.__dlpack__()` itself, as a consumer's from_dlpack does) and
// read in place, the kernel chosen by the tensor's DLDataType (float 64/32, int
// 32/16, uint 8; any other is refused naming its code, bits and lanes);
// scale's result and a frame's gray image are C++ buffers that
// `np.from_dlpack` wraps through the same protocol in the other direction. Written against the C
// API so that the cost measured is DLPack's, not a binding library's.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <new>

#include "dlpack_consumer.hpp"
#include "dlpack_result.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"

namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;
using interop_bench::dlpack::ConsumedTensor;

namespace {

PyObject* numpy_from_dlpack = nullptr;  // numpy.from_dlpack, looked up once

// Each function takes the tensor, then runs the kernel of its own element type
// (binding::visit_element_type over the DLPack dtype read once).

PyObject* sum(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  if (!a.take(arg, 1, "sum")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&a]<class T>(std::type_identity<T>) -> PyObject* {
    kernels::span<T> values;
    if (!a.as_vector(&values, "sum")) return nullptr;
    const kernels::span<const T> in = values;
    return binding::to_python(
        binding::run_releasing_gil(in.size(), [in] { return kernels::sum(in); }));
  });
}

// DLPack before 1.0 cannot mark a tensor read-only, so a producer that holds
// read-only memory refuses to export it (NumPy raises BufferError, restated as
// ValueError by `take`): what arrives here is writable.
PyObject* square(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  if (!a.take(arg, 1, "square")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&a]<class T>(std::type_identity<T>) -> PyObject* {
    kernels::span<T> inout;
    if (!a.as_vector(&inout, "square")) return nullptr;
    binding::run_releasing_gil(inout.size(), [inout] { kernels::square_inplace(inout); });
    Py_RETURN_NONE;
  });
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ConsumedTensor m;
  if (!m.take(arg, 2, "matrix_sum")) return nullptr;
  try {  // a layout read through a copy may run out of memory
    return interop_bench::visit_dtype(m.type(), [&m]<class T>(std::type_identity<T>) {
      const binding::StridedMatrixOf<T> view = m.as_matrix<T>();
      const auto elements = static_cast<std::size_t>(view.rows * view.cols);
      return binding::to_python(
          binding::run_releasing_gil(elements, [&view] { return binding::matrix_sum(view); }));
    });
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
}

// a * k into a new Result (the DLPack exporter), or nullptr with an exception.
PyObject* scale_into_result(PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    return PyErr_Format(PyExc_TypeError, "scale() takes 2 arguments (a, k), got %zd", nargs);
  }
  ConsumedTensor a;
  if (!a.take(args[0], 1, "scale")) return nullptr;
  return interop_bench::visit_dtype(
      a.type(), [&a, args]<class T>(std::type_identity<T>) -> PyObject* {
        T k{};
        if (!binding::factor_of(args[1], &k)) return nullptr;
        kernels::span<T> values;
        if (!a.as_vector(&values, "scale")) return nullptr;
        const kernels::span<const T> in = values;
        T* out = nullptr;
        PyObject* result =
            interop_bench::dlpack::new_typed_result<T>({static_cast<int64_t>(in.size())}, &out);
        if (result == nullptr) return nullptr;
        binding::run_releasing_gil(in.size(), [in, k, out] {
          kernels::scale(in, k, {out, in.size()});
        });
        return result;
      });
}

// What a user writes: np.from_dlpack(producer), here called from C.
PyObject* to_numpy(PyObject* result) {
  if (result == nullptr) return nullptr;
  PyObject* array = PyObject_CallOneArg(numpy_from_dlpack, result);
  Py_DECREF(result);  // the array's DLPack capsule holds it now
  return array;
}

PyObject* scale_exporter(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return scale_into_result(args, nargs);
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return to_numpy(scale_into_result(args, nargs));
}

// The gray image of a uint8 H x W x 3 tensor, read in place at its row stride,
// into a new Result (a 2-D uint8 tensor) that np.from_dlpack wraps.
PyObject* frame(PyObject*, PyObject* arg) {
  ConsumedTensor image;
  binding::FrameView rgb{};
  if (!image.take(arg, 3, "frame") || !image.as_frame(&rgb)) return nullptr;
  std::uint8_t* gray = nullptr;
  PyObject* result = interop_bench::dlpack::new_typed_result<std::uint8_t>(
      {static_cast<int64_t>(rgb.rows), static_cast<int64_t>(rgb.cols)}, &gray);
  if (result == nullptr) return nullptr;
  binding::run_releasing_gil(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
  return to_numpy(result);
}

PyObject* data_address(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  if (!a.take(arg, 1, "data_address")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&a]<class T>(std::type_identity<T>) -> PyObject* {
    kernels::span<T> values;
    if (!a.as_vector(&values, "data_address")) return nullptr;
    return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(values.data()));
  });
}

PyObject* live_results(PyObject*, PyObject*) {
  return PyLong_FromSsize_t(interop_bench::dlpack::live_results());
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float | int: sum of a 1-D array, taken via a.__dlpack__()"},
    {"square", square, METH_O, "square(a): a[i] = a[i] * a[i] in place, via a.__dlpack__()"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float | int: sum of a 2-D array"},
    {"frame", frame, METH_O, "frame(image) -> np.from_dlpack of a new H x W uint8 gray image"},
    {"scale", binding::as_py_cfunction(scale), METH_FASTCALL,
     "scale(a, k) -> np.from_dlpack of a new C++ buffer holding a * k"},
    {"scale_exporter", binding::as_py_cfunction(scale_exporter), METH_FASTCALL,
     "scale_exporter(a, k) -> Result: the DLPack exporter that scale hands to np.from_dlpack"},
    {"data_address", data_address, METH_O, "data_address(a) -> int: address the C side sees"},
    {"live_results", live_results, METH_NOARGS,
     "live_results() -> int: result buffers allocated and not yet freed"},
    IB_RESULT_RECORD_METHODS,
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_dlpack",
    "interop-bench kernels through the DLPack protocol (unversioned, DLPack 0.6 header)",
    0,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_dlpack() {
  PyObject* numpy = PyImport_ImportModule("numpy");
  if (numpy == nullptr) return nullptr;
  numpy_from_dlpack = PyObject_GetAttrString(numpy, "from_dlpack");
  Py_DECREF(numpy);
  if (numpy_from_dlpack == nullptr) return nullptr;
  PyObject* module = PyModule_Create(&module_def);
  if (module == nullptr) return nullptr;
  if (!interop_bench::dlpack::add_result_type(module)) {
    Py_DECREF(module);
    return nullptr;
  }
  return module;
}
