// The CPython C API by hand: the floor of call overhead that the binding
// libraries are measured against. Arguments arrive through the buffer protocol
// (PEP 3118), asking exactly for what the kernel needs (C-contiguous, with its
// format, writable for square; strides for a matrix or a frame), so nothing is
// copied in; the format and item size pick the kernel of the array's own
// element type (float64, float32, int32, int16, uint8; any other format is
// refused, naming it); the buffer is released on every path by RAII; the GIL is released around
// large kernels; scale's result and a frame's gray image are NumPy arrays (NumPy C API) wrapping a
// C++ buffer that a capsule owns, so nothing is copied out.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <cstdint>
#include <new>

#include "interop_bench/buffer_argument.hpp"
#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/numpy_typenum.hpp"
#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_buffer.hpp"

namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;

namespace {

constexpr const char* kResultCapsuleName = "interop_bench.scale_result";

template <class Kernel>
decltype(auto) run(std::size_t elements, Kernel&& kernel) {
  return binding::run_releasing_gil(elements, kernel);
}

using binding::ArrayBuffer;
using binding::kMatrixFlags;
using binding::kVectorFlags;

// Each function acquires the buffer, then runs the kernel of the buffer's own
// element type (binding::visit_element_type: a switch on the format read once).

PyObject* sum(PyObject*, PyObject* arg) {
  ArrayBuffer a;
  if (!a.acquire(arg, kVectorFlags, 1, "sum")) return nullptr;
  return interop_bench::visit_dtype(a.type(), [&a]<class T>(std::type_identity<T>) {
    const kernels::span<const T> in = a.values<T>();
    return binding::to_python(run(in.size(), [in] { return kernels::sum(in); }));
  });
}

PyObject* square(PyObject*, PyObject* arg) {
  ArrayBuffer a;
  if (!a.acquire(arg, kVectorFlags | PyBUF_WRITABLE, 1, "square")) return nullptr;
  interop_bench::visit_dtype(a.type(), [&a]<class T>(std::type_identity<T>) {
    const kernels::span<T> inout = a.values<T>();
    run(inout.size(), [inout] { kernels::square_inplace(inout); });
  });
  Py_RETURN_NONE;
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ArrayBuffer m;
  if (!m.acquire(arg, kMatrixFlags, 2, "matrix_sum")) return nullptr;
  try {  // a layout read through a copy may run out of memory
    return interop_bench::visit_dtype(m.type(), [&m]<class T>(std::type_identity<T>) {
      const binding::StridedMatrixOf<T> view = m.matrix<T>();
      const auto elements = static_cast<std::size_t>(view.rows * view.cols);
      return binding::to_python(run(elements, [&view] { return binding::matrix_sum(view); }));
    });
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
}

void destroy_result(PyObject* capsule) {
  binding::free_result(PyCapsule_GetPointer(capsule, kResultCapsuleName));
}

// A NumPy array of T and `shape` over a new C++ buffer that a capsule owns (the
// array's base): NumPy frees nothing itself, the capsule frees it once.
template <class T, int Ndim>
PyObject* new_result(const npy_intp (&shape)[Ndim], T** out) {
  std::size_t elements = 1;
  for (const npy_intp extent : shape) elements *= static_cast<std::size_t>(extent);
  binding::ResultBuffer<T> buffer;
  try {
    buffer = binding::allocate_result<T>(elements);
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  PyObject* owner = PyCapsule_New(buffer.get(), kResultCapsuleName, destroy_result);
  if (owner == nullptr) return nullptr;
  *out = buffer.release();  // the capsule owns it now
  PyObject* array = PyArray_SimpleNewFromData(Ndim, const_cast<npy_intp*>(shape),
                                              binding::numpy_typenum_v<T>, *out);
  if (array == nullptr) {
    Py_DECREF(owner);
    return nullptr;
  }
  // Steals `owner`, even when it fails.
  if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(array), owner) != 0) {
    Py_DECREF(array);
    return nullptr;
  }
  return array;
}

// a * k for a's element type T, the factor read as NumPy reads it for T.
template <class T>
PyObject* scale_values(const ArrayBuffer& a, PyObject* factor) {
  T k{};
  if (!binding::factor_of(factor, &k)) return nullptr;
  const kernels::span<const T> in = a.values<T>();
  T* out = nullptr;
  PyObject* result = new_result<T, 1>({static_cast<npy_intp>(in.size())}, &out);
  if (result == nullptr) return nullptr;
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return result;
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    return PyErr_Format(PyExc_TypeError, "scale() takes 2 arguments (a, k), got %zd", nargs);
  }
  ArrayBuffer a;
  if (!a.acquire(args[0], kVectorFlags, 1, "scale")) return nullptr;
  return interop_bench::visit_dtype(
      a.type(), [&a, args]<class T>(std::type_identity<T>) { return scale_values<T>(a, args[1]); });
}

// The gray image of an H x W x 3 uint8 view, read in place at its row stride,
// into a new H x W uint8 array over a capsule-owned C++ buffer (as scale's).
PyObject* frame(PyObject*, PyObject* arg) {
  ArrayBuffer image;
  binding::FrameView rgb{};
  if (!image.acquire_frame(arg, &rgb)) return nullptr;
  std::uint8_t* gray = nullptr;
  PyObject* result = new_result<std::uint8_t, 2>(
      {static_cast<npy_intp>(rgb.rows), static_cast<npy_intp>(rgb.cols)}, &gray);
  if (result == nullptr) return nullptr;
  run(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
  return result;
}

PyObject* data_address(PyObject*, PyObject* arg) {
  ArrayBuffer a;
  if (!a.acquire(arg, kVectorFlags, 1, "data_address")) return nullptr;
  return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(a.data()));
}

// METH_FASTCALL functions have another signature than PyCFunction; the cast
// through void(*)() is the documented way and silences -Wcast-function-type.
PyCFunction fastcall(PyObject* (*function)(PyObject*, PyObject* const*, Py_ssize_t)) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float | int: sum of a C-contiguous 1-D array, as np.sum"},
    {"square", square, METH_O, "square(a): a[i] = a[i] * a[i], in place (a must be writable)"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float | int: sum of a 2-D array"},
    {"scale", fastcall(scale), METH_FASTCALL, "scale(a, k) -> new array a * k in a's dtype"},
    {"frame", frame, METH_O, "frame(image) -> new H x W uint8 gray image of an H x W x 3 one"},
    {"data_address", data_address, METH_O, "data_address(a) -> int: address the C side sees"},
    IB_RESULT_RECORD_METHODS,
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_capi",
    "interop-bench kernels through a hand-written CPython extension, zero-copy",
    0,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_capi() {
  import_array();  // NumPy's C API, for scale's result; returns NULL on failure
  PyObject* module = PyModule_Create(&module_def);
  // The one place Python reads the GIL threshold of every binding from
  // (python/interop_bench/strategies/gil.py).
  if (module != nullptr &&
      PyModule_AddIntConstant(module, "RELEASE_GIL_MIN_ELEMENTS",
                              static_cast<long>(interop_bench::binding::kReleaseGilMinElements)) <
          0) {
    Py_DECREF(module);
    return nullptr;
  }
  return module;
}
