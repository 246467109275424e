// The SWIG interface of the kernel core: swig_adapter.hpp wrapped for Python
// with typemaps on the buffer protocol (PEP 3118), written here rather than
// taken from numpy.i. Each array argument asks exactly for what its kernel
// needs (C-contiguous with format "d", writable for square, any strides for a
// matrix), so the kernel reads the caller's memory (zero-copy) and a wrong
// dtype, dimension count, layout or a read-only array is a TypeError or
// ValueError naming the operation and the problem (buffer_argument.hpp); the
// buffer is released on every path. scale's result is a new NumPy array that
// the typemap allocates (NumPy's memory) and the kernel writes into.
// Built with -builtin: functions are the extension module's own, with no
// Python proxy function in between (ib_swig.py only re-exports them).
%module(package="interop_bench._native") ib_swig

%{
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "interop_bench/buffer_argument.hpp"
#include "interop_bench/python_capi.hpp"
#include "swig_adapter.hpp"

namespace ib_binding = interop_bench::binding;
%}

%init %{
  import_array();  // NumPy's C API, for scale's result; returns NULL on failure
%}

// The typemaps assign whole values: no SwigValueWrapper around these types.
%feature("novaluewrapper") interop_bench::kernels::span<const double>;
%feature("novaluewrapper") interop_bench::kernels::span<double>;
%feature("novaluewrapper") interop_bench::binding::StridedMatrix;

%typemap(in) interop_bench::kernels::span<const double> (ib_binding::DoubleBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags, 1, "$symname")) SWIG_fail;
  $1 = buffer.values();
}

%typemap(in) interop_bench::kernels::span<double> (ib_binding::DoubleBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags | PyBUF_WRITABLE, 1, "$symname")) SWIG_fail;
  $1 = buffer.values();
}

%typemap(in) interop_bench::binding::StridedMatrix (ib_binding::DoubleBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kMatrixFlags, 2, "$symname")) SWIG_fail;
  $1 = buffer.matrix();
}

// scale(a, k): `in` is the caller's array, `out` a new NumPy array as long as it.
%typemap(in) (interop_bench::kernels::span<const double> in, interop_bench::kernels::span<double> out)
    (ib_binding::DoubleBuffer buffer, PyObject* result = NULL) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags, 1, "$symname")) SWIG_fail;
  $1 = buffer.values();
  npy_intp shape[1] = {static_cast<npy_intp>($1.size())};
  result = PyArray_EMPTY(1, shape, NPY_DOUBLE, 0);
  if (result == NULL) SWIG_fail;
  $2 = {static_cast<double*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result))), $1.size()};
}

%typemap(argout) (interop_bench::kernels::span<const double> in, interop_bench::kernels::span<double> out) {
  $result = SWIG_Python_AppendOutput($result, result$argnum);
  result$argnum = NULL;  // the caller owns it now
}

%typemap(freearg) (interop_bench::kernels::span<const double> in, interop_bench::kernels::span<double> out) {
  Py_XDECREF(result$argnum);  // only on a path that failed after allocating it
}

// The factor as capi reads it (anything with __float__), named in the error:
// SWIG's own would speak of "argument 3", the C++ position after the reordering.
%typemap(in) double k {
  $1 = PyFloat_AsDouble($input);
  if ($1 == -1.0 && PyErr_Occurred()) {
    ib_binding::restate_error(PyExc_TypeError, "scale factor");
    SWIG_fail;
  }
}

// matrix_sum copies a layout whose rows and columns are both strided, which
// may run out of memory: a MemoryError, as NumPy would raise.
%exception interop_bench::swig_adapter::matrix_sum {
  try {
    $action
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
    SWIG_fail;
  }
}

%include "swig_adapter.hpp"
