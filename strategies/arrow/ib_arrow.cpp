// Arrow: every argument is taken through the Arrow PyCapsule interface (the
// module calls `a.__arrow_c_array__()` itself) and read in place through the C
// Data Interface structs; scale's result goes back the same way, as a schema
// and array capsule pair over a C++ buffer. Written against the C API so that
// the cost measured is Arrow's, not a binding library's.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>

#include "arrow_consumer.hpp"
#include "arrow_result.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/python_capi.hpp"

namespace kernels = interop_bench::kernels;
namespace binding = interop_bench::binding;
using interop_bench::arrow::ImportedArray;

namespace {

PyObject* sum(PyObject*, PyObject* arg) {
  ImportedArray a;
  kernels::span<double> values;
  if (!a.take(arg, "sum") || !a.as_vector(&values, "sum")) return nullptr;
  const kernels::span<const double> in = values;
  return PyFloat_FromDouble(
      binding::run_releasing_gil(in.size(), [in] { return kernels::sum(in); }));
}

// Arrow buffers are immutable by contract and the C Data Interface carries no
// writability: the adapter hands over only arrays whose buffer wraps writable
// NumPy memory (python/interop_bench/strategies/arrow.py checks it).
PyObject* square(PyObject*, PyObject* arg) {
  ImportedArray a;
  kernels::span<double> inout;
  if (!a.take(arg, "square") || !a.as_vector(&inout, "square")) return nullptr;
  binding::run_releasing_gil(inout.size(), [inout] { kernels::square_inplace(inout); });
  Py_RETURN_NONE;
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ImportedArray m;
  binding::RowMajorView view{};
  if (!m.take(arg, "matrix_sum") || !m.as_matrix(&view, "matrix_sum")) return nullptr;
  return PyFloat_FromDouble(binding::run_releasing_gil(view.rows * view.cols, [&view] {
    return kernels::matrix_sum(view.data, view.rows, view.cols, view.row_stride_elems);
  }));
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  double k = 0.0;
  if (!binding::scale_factor(args, nargs, &k)) return nullptr;
  ImportedArray a;
  kernels::span<double> values;
  if (!a.take(args[0], "scale") || !a.as_vector(&values, "scale")) return nullptr;
  const kernels::span<const double> in = values;
  double* out = nullptr;
  PyObject* result = interop_bench::arrow::export_result(in.size(), &out);
  if (result == nullptr) return nullptr;
  binding::run_releasing_gil(in.size(), [in, k, out] { kernels::scale(in, k, {out, in.size()}); });
  return result;
}

PyObject* data_address(PyObject*, PyObject* arg) {
  ImportedArray a;
  kernels::span<double> values;
  if (!a.take(arg, "data_address") || !a.as_vector(&values, "data_address")) return nullptr;
  return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(values.data()));
}

PyObject* live_results(PyObject*, PyObject*) {
  return Py_BuildValue("(nn)", interop_bench::arrow::live_result_schemas(),
                       interop_bench::arrow::live_result_arrays());
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float: sum of a float64 Arrow array without nulls"},
    {"square", square, METH_O, "square(a): squares a float64 Arrow array's values in place"},
    {"matrix_sum", matrix_sum, METH_O,
     "matrix_sum(m) -> float: sum of a fixed-size list of float64 (one list per row)"},
    {"scale", binding::as_py_cfunction(scale), METH_FASTCALL,
     "scale(a, k) -> (schema capsule, array capsule) of a new C++ buffer holding a * k"},
    {"data_address", data_address, METH_O, "data_address(a) -> int: address the C side sees"},
    {"live_results", live_results, METH_NOARGS,
     "live_results() -> (schemas, arrays): exported result structs not yet released"},
    IB_RESULT_RECORD_METHODS,
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_arrow",
    "interop-bench kernels through the Arrow C Data Interface (PyCapsule protocol)",
    0,
    methods,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_arrow() {
  return PyModule_Create(&module_def);
}
