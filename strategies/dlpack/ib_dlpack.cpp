// DLPack: every argument is taken through the DLPack Python protocol (the
// module calls `a.__dlpack__()` itself, as a consumer's from_dlpack does) and
// read in place; scale's result is a C++ buffer that `np.from_dlpack` wraps
// through the same protocol in the other direction. Written against the C API
// so that the cost measured is DLPack's, not a binding library's.
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

PyObject* sum(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  kernels::span<double> values;
  if (!a.take(arg, 1, "sum") || !a.as_vector(&values, "sum")) return nullptr;
  const kernels::span<const double> in = values;
  return PyFloat_FromDouble(
      binding::run_releasing_gil(in.size(), [in] { return kernels::sum(in); }));
}

// DLPack before 1.0 cannot mark a tensor read-only, so a producer that holds
// read-only memory refuses to export it (NumPy raises BufferError, restated as
// ValueError by `take`): what arrives here is writable.
PyObject* square(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  kernels::span<double> inout;
  if (!a.take(arg, 1, "square") || !a.as_vector(&inout, "square")) return nullptr;
  binding::run_releasing_gil(inout.size(), [inout] { kernels::square_inplace(inout); });
  Py_RETURN_NONE;
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ConsumedTensor m;
  if (!m.take(arg, 2, "matrix_sum")) return nullptr;
  const binding::StridedMatrix view = m.as_matrix();
  const auto elements = static_cast<std::size_t>(view.rows * view.cols);
  try {  // a layout read through a copy may run out of memory
    return PyFloat_FromDouble(
        binding::run_releasing_gil(elements, [&view] { return binding::matrix_sum(view); }));
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
}

// a * k into a new Result (the DLPack exporter), or nullptr with an exception.
PyObject* scale_into_result(PyObject* const* args, Py_ssize_t nargs) {
  double k = 0.0;
  if (!binding::scale_factor(args, nargs, &k)) return nullptr;
  ConsumedTensor a;
  kernels::span<double> values;
  if (!a.take(args[0], 1, "scale") || !a.as_vector(&values, "scale")) return nullptr;
  const kernels::span<const double> in = values;
  double* out = nullptr;
  PyObject* result = interop_bench::dlpack::new_result(in.size(), &out);
  if (result == nullptr) return nullptr;
  binding::run_releasing_gil(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return result;
}

PyObject* scale_exporter(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  return scale_into_result(args, nargs);
}

// What a user writes: np.from_dlpack(producer), here called from C.
PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  PyObject* result = scale_into_result(args, nargs);
  if (result == nullptr) return nullptr;
  PyObject* array = PyObject_CallOneArg(numpy_from_dlpack, result);
  Py_DECREF(result);  // the array's DLPack capsule holds it now
  return array;
}

PyObject* data_address(PyObject*, PyObject* arg) {
  ConsumedTensor a;
  kernels::span<double> values;
  if (!a.take(arg, 1, "data_address") || !a.as_vector(&values, "data_address")) return nullptr;
  return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(values.data()));
}

PyObject* live_results(PyObject*, PyObject*) {
  return PyLong_FromSsize_t(interop_bench::dlpack::live_results());
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float: sum of a 1-D float64 array, taken via a.__dlpack__()"},
    {"square", square, METH_O, "square(a): a[i] = a[i] * a[i] in place, via a.__dlpack__()"},
    {"matrix_sum", matrix_sum, METH_O, "matrix_sum(m) -> float: sum of a 2-D float64 array"},
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
