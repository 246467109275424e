// Arrow: every argument is taken through the Arrow PyCapsule interface (the
// module calls `a.__arrow_c_array__()` itself) and read in place through the C
// Data Interface structs, the kernel chosen by the Arrow format (float64 "g",
// float32 "f", int32 "i", int16 "s", uint8 "C"; any other is refused naming
// it); scale's result and a frame's gray image go back the same way, as a
// schema and array capsule pair over a C++ buffer. Written against the C API so that
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

// Each function takes the structs, then runs the kernel of the Arrow type's
// element type (binding::visit_element_type over the format read once).

template <class T>
kernels::span<T> typed(const interop_bench::arrow::TypedValues& values) {
  return {static_cast<T*>(values.data), values.count};
}

PyObject* sum(PyObject*, PyObject* arg) {
  ImportedArray a;
  interop_bench::arrow::TypedValues values{};
  if (!a.take(arg, "sum") || !a.as_vector(&values, "sum")) return nullptr;
  return interop_bench::visit_dtype(values.type, [&values]<class T>(std::type_identity<T>) {
    const kernels::span<const T> in = typed<T>(values);
    return binding::to_python(
        binding::run_releasing_gil(in.size(), [in] { return kernels::sum(in); }));
  });
}

// Arrow buffers are immutable by contract and the C Data Interface carries no
// writability: the adapter hands over only arrays whose buffer wraps writable
// NumPy memory (python/interop_bench/strategies/arrow.py checks it).
PyObject* square(PyObject*, PyObject* arg) {
  ImportedArray a;
  interop_bench::arrow::TypedValues values{};
  if (!a.take(arg, "square") || !a.as_vector(&values, "square")) return nullptr;
  interop_bench::visit_dtype(values.type, [&values]<class T>(std::type_identity<T>) {
    const kernels::span<T> inout = typed<T>(values);
    binding::run_releasing_gil(inout.size(), [inout] { kernels::square_inplace(inout); });
  });
  Py_RETURN_NONE;
}

PyObject* matrix_sum(PyObject*, PyObject* arg) {
  ImportedArray m;
  interop_bench::arrow::TypedRows rows{};
  if (!m.take(arg, "matrix_sum") || !m.as_matrix(&rows, "matrix_sum")) return nullptr;
  return interop_bench::visit_dtype(rows.type, [&rows]<class T>(std::type_identity<T>) {
    const auto* data = static_cast<const T*>(rows.data);
    return binding::to_python(binding::run_releasing_gil(rows.rows * rows.cols, [&rows, data] {
      return kernels::matrix_sum(data, rows.rows, rows.cols, rows.cols);
    }));
  });
}

PyObject* scale(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    return PyErr_Format(PyExc_TypeError, "scale() takes 2 arguments (a, k), got %zd", nargs);
  }
  ImportedArray a;
  interop_bench::arrow::TypedValues values{};
  if (!a.take(args[0], "scale") || !a.as_vector(&values, "scale")) return nullptr;
  return interop_bench::visit_dtype(
      values.type, [&values, args]<class T>(std::type_identity<T>) -> PyObject* {
        T k{};
        if (!binding::factor_of(args[1], &k)) return nullptr;
        const kernels::span<const T> in = typed<T>(values);
        void* memory = nullptr;
        PyObject* result = interop_bench::arrow::export_result(
            interop_bench::arrow::arrow_format(values.type), sizeof(T), in.size(), &memory);
        if (result == nullptr) return nullptr;
        T* out = static_cast<T*>(memory);
        binding::run_releasing_gil(in.size(), [in, k, out] {
          kernels::scale(in, k, {out, in.size()});
        });
        return result;
      });
}

// The gray image of an H x W x 3 frame (fixed-size lists of pixels, see
// arrow_consumer.hpp), exported as the flat uint8 array of its H * W bytes.
PyObject* frame(PyObject*, PyObject* arg) {
  ImportedArray image;
  binding::FrameView rgb{};
  if (!image.take(arg, "frame") || !image.as_frame(&rgb)) return nullptr;
  void* memory = nullptr;
  PyObject* result = interop_bench::arrow::export_result(
      interop_bench::arrow::arrow_format(interop_bench::DType::uint8), 1, rgb.rows * rgb.cols,
      &memory);
  if (result == nullptr) return nullptr;
  auto* gray = static_cast<std::uint8_t*>(memory);
  binding::run_releasing_gil(rgb.rows * rgb.cols, [&rgb, gray] {
    kernels::frame_to_gray(rgb.rgb, rgb.rows, rgb.cols, rgb.row_stride_bytes, gray);
  });
  return result;
}

PyObject* data_address(PyObject*, PyObject* arg) {
  ImportedArray a;
  interop_bench::arrow::TypedValues values{};
  if (!a.take(arg, "data_address") || !a.as_vector(&values, "data_address")) return nullptr;
  return PyLong_FromUnsignedLongLong(reinterpret_cast<std::uintptr_t>(values.data));
}

PyObject* live_results(PyObject*, PyObject*) {
  return Py_BuildValue("(nn)", interop_bench::arrow::live_result_schemas(),
                       interop_bench::arrow::live_result_arrays());
}

PyMethodDef methods[] = {
    {"sum", sum, METH_O, "sum(a) -> float | int: sum of an Arrow number array without nulls"},
    {"square", square, METH_O, "square(a): squares an Arrow number array's values in place"},
    {"matrix_sum", matrix_sum, METH_O,
     "matrix_sum(m) -> float | int: sum of a fixed-size list of numbers (one list per row)"},
    {"scale", binding::as_py_cfunction(scale), METH_FASTCALL,
     "scale(a, k) -> (schema capsule, array capsule) of a new C++ buffer holding a * k"},
    {"frame", frame, METH_O,
     "frame(image) -> (schema, array) capsules of the H * W gray bytes of a '+w:W' of '+w:3' "
     "of 'C' image"},
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
