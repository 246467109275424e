// The CPython C API by hand: the floor of call overhead that the binding
// libraries are measured against. Arguments arrive through the buffer protocol
// (PEP 3118), asking exactly for what the kernel needs (C-contiguous, with its
// format, writable for square), so nothing is copied in; the buffer is released
// on every path by RAII; the GIL is released around large kernels; scale's
// result is a NumPy array (NumPy C API) wrapping a C++ buffer that a capsule
// owns, so nothing is copied out.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <cstdint>
#include <new>

#include "interop_bench/buffer_argument.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
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

using binding::DoubleBuffer;
using binding::kMatrixFlags;
using binding::kVectorFlags;

PyObject* sum(PyObject*, PyObject* arg) {
  DoubleBuffer a;
  if (!a.acquire(arg, kVectorFlags, 1, "sum")) return nullptr;
  const kernels::span<const double> in = a.values();
  return PyFloat_FromDouble(run(in.size(), [in] { return kernels::sum(in); }));
}

PyObject* square(PyObject*, PyObject* arg) {
  DoubleBuffer a;
  if (!a.acquire(arg, kVectorFlags | PyBUF_WRITABLE, 1, "square")) return nullptr;
  const kernels::span<double> inout = a.values();
  run(inout.size(), [inout] { kernels::square_inplace(inout); });
  Py_RETURN_NONE;
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  DoubleBuffer m;
  if (!m.acquire(arg, kMatrixFlags, 2, "matrix_sum")) return nullptr;
  const binding::StridedMatrix view = m.matrix();
  const auto elements = static_cast<std::size_t>(view.rows * view.cols);
  try {  // a layout read through a copy may run out of memory
    return PyFloat_FromDouble(run(elements, [&view] { return binding::matrix_sum(view); }));
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
}

void destroy_result(PyObject* capsule) {
  binding::free_result(PyCapsule_GetPointer(capsule, kResultCapsuleName));
}

// A 1-D float64 NumPy array over a new C++ buffer that a capsule owns (the
// array's base): NumPy frees nothing itself, the capsule frees it once.
PyObject* new_result(std::size_t elements, double** out) {
  binding::ResultBuffer buffer;
  try {
    buffer = binding::allocate_result(elements);
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  PyObject* owner = PyCapsule_New(buffer.get(), kResultCapsuleName, destroy_result);
  if (owner == nullptr) return nullptr;
  *out = buffer.release();  // the capsule owns it now
  npy_intp shape[1] = {static_cast<npy_intp>(elements)};
  PyObject* array = PyArray_SimpleNewFromData(1, shape, NPY_DOUBLE, *out);
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

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    return PyErr_Format(PyExc_TypeError, "scale() takes 2 arguments (a, k), got %zd", nargs);
  }
  const double k = PyFloat_AsDouble(args[1]);
  if (k == -1.0 && PyErr_Occurred()) {
    binding::restate_error(PyExc_TypeError, "scale factor");
    return nullptr;
  }
  DoubleBuffer a;
  if (!a.acquire(args[0], kVectorFlags, 1, "scale")) return nullptr;
  const kernels::span<const double> in = a.values();
  double* out = nullptr;
  PyObject* result = new_result(in.size(), &out);
  if (result == nullptr) return nullptr;
  run(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return result;
}

PyObject* data_address(PyObject*, PyObject* arg) {
  DoubleBuffer a;
  if (!a.acquire(arg, kVectorFlags, 1, "data_address")) return nullptr;
  return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(a.values().data()));
}

// METH_FASTCALL functions have another signature than PyCFunction; the cast
// through void(*)() is the documented way and silences -Wcast-function-type.
PyCFunction fastcall(PyObject* (*function)(PyObject*, PyObject* const*, Py_ssize_t)) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float: sum of a C-contiguous 1-D float64 array"},
    {"square", square, METH_O, "square(a): a[i] = a[i] * a[i], in place (a must be writable)"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float: sum of a 2-D float64 array"},
    {"scale", fastcall(scale), METH_FASTCALL, "scale(a, k) -> new array a * k"},
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
