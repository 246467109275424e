// The SWIG interface of the kernel core: swig_adapter.hpp wrapped for Python
// with typemaps on the buffer protocol (PEP 3118), written here rather than
// taken from numpy.i. Each array argument asks exactly for what its kernel
// needs (C-contiguous with its format, writable for square, any strides for a
// matrix or a frame), so the kernel reads the caller's memory (zero-copy); the
// buffer's format and item size give the element type (float64, float32,
// int32, int16, uint8), which travels with the pointer to the adapter; a
// dtype of any other format, a wrong dimension count, layout or a read-only
// array is a TypeError or ValueError naming the operation and the problem
// (buffer_argument.hpp); the buffer is released on every path. scale's result
// and a frame's gray image are new NumPy arrays that the typemaps allocate
// (NumPy's memory) and the kernels write into.
// Built with -builtin: functions are the extension module's own, with no
// Python proxy function in between (ib_swig.py only re-exports them).
%module(package="interop_bench._native") ib_swig

%{
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <stdexcept>

#include "interop_bench/buffer_argument.hpp"
#include "interop_bench/numpy_typenum.hpp"
#include "interop_bench/python_capi.hpp"
#include "swig_adapter.hpp"

namespace ib_binding = interop_bench::binding;
namespace ib_swig = interop_bench::swig_adapter;

// The typemaps' views of an acquired buffer.
static ib_swig::Vector ib_vector(const ib_binding::ArrayBuffer& buffer) {
  return interop_bench::visit_dtype(buffer.type(), [&buffer]<class T>(std::type_identity<T>) {
    const interop_bench::kernels::span<T> values = buffer.values<T>();
    return ib_swig::Vector{buffer.type(), values.data(), values.size()};
  });
}

static ib_swig::Matrix ib_matrix(const ib_binding::ArrayBuffer& buffer) {
  return interop_bench::visit_dtype(buffer.type(), [&buffer]<class T>(std::type_identity<T>) {
    const ib_binding::StridedMatrixOf<T> m = buffer.matrix<T>();
    return ib_swig::Matrix{buffer.type(), m.data, m.rows, m.cols, m.row_stride_bytes,
                           m.col_stride_bytes};
  });
}

// A new NumPy array of `type` and `shape` (NULL with an exception).
static PyObject* ib_new_array(interop_bench::DType type, int ndim, npy_intp* shape) {
  return interop_bench::visit_dtype(type, [ndim, shape]<class T>(std::type_identity<T>) {
    return PyArray_EMPTY(ndim, shape, ib_binding::numpy_typenum_v<T>, 0);
  });
}
%}

%init %{
  import_array();  // NumPy's C API, for scale's result; returns NULL on failure
%}

// The typemaps assign whole values: no SwigValueWrapper around these types,
// and no Python class for them (they exist only between typemap and adapter).
%feature("novaluewrapper") interop_bench::swig_adapter::Vector;
%feature("novaluewrapper") interop_bench::swig_adapter::Matrix;
%feature("novaluewrapper") interop_bench::binding::FrameView;
%feature("novaluewrapper") interop_bench::binding::Factor;
%ignore interop_bench::swig_adapter::Vector;
%ignore interop_bench::swig_adapter::Matrix;
%ignore interop_bench::swig_adapter::Sum;

%typemap(in) interop_bench::swig_adapter::Vector (ib_binding::ArrayBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags, 1, "$symname")) SWIG_fail;
  $1 = ib_vector(buffer);
}

%typemap(in) interop_bench::swig_adapter::Vector inout (ib_binding::ArrayBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags | PyBUF_WRITABLE, 1, "$symname")) SWIG_fail;
  $1 = ib_vector(buffer);
}

%typemap(in) interop_bench::swig_adapter::Matrix (ib_binding::ArrayBuffer buffer) {
  if (!buffer.acquire($input, ib_binding::kMatrixFlags, 2, "$symname")) SWIG_fail;
  $1 = ib_matrix(buffer);
}

%typemap(out) interop_bench::swig_adapter::Sum {
  switch ($1.kind) {
    case ib_swig::Sum::Kind::real:
      $result = ib_binding::to_python($1.real);
      break;
    case ib_swig::Sum::Kind::signed_integer:
      $result = ib_binding::to_python($1.signed_integer);
      break;
    case ib_swig::Sum::Kind::unsigned_integer:
      $result = ib_binding::to_python($1.unsigned_integer);
      break;
  }
}

// scale(a, k): `in` is the caller's array, `out` a new NumPy array of its type and length.
%typemap(in) (interop_bench::swig_adapter::Vector in, interop_bench::swig_adapter::Vector out)
    (ib_binding::ArrayBuffer buffer, PyObject* result = NULL) {
  if (!buffer.acquire($input, ib_binding::kVectorFlags, 1, "$symname")) SWIG_fail;
  $1 = ib_vector(buffer);
  npy_intp shape[1] = {static_cast<npy_intp>($1.size)};
  result = ib_new_array($1.type, 1, shape);
  if (result == NULL) SWIG_fail;
  $2 = {$1.type, PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)), $1.size};
}

%typemap(argout) (interop_bench::swig_adapter::Vector in, interop_bench::swig_adapter::Vector out) {
  $result = SWIG_Python_AppendOutput($result, result$argnum);
  result$argnum = NULL;  // the caller owns it now
}

%typemap(freearg) (interop_bench::swig_adapter::Vector in, interop_bench::swig_adapter::Vector out) {
  Py_XDECREF(result$argnum);  // only on a path that failed after allocating it
}

// frame(image): `rgb` is the caller's image read in place, `gray` a new H x W uint8 array.
%typemap(in) (interop_bench::binding::FrameView rgb, std::uint8_t* gray)
    (ib_binding::ArrayBuffer buffer, PyObject* result = NULL) {
  if (!buffer.acquire_frame($input, &$1)) SWIG_fail;
  npy_intp shape[2] = {static_cast<npy_intp>($1.rows), static_cast<npy_intp>($1.cols)};
  result = PyArray_EMPTY(2, shape, NPY_UINT8, 0);
  if (result == NULL) SWIG_fail;
  $2 = static_cast<std::uint8_t*>(PyArray_DATA(reinterpret_cast<PyArrayObject*>(result)));
}

%typemap(argout) (interop_bench::binding::FrameView rgb, std::uint8_t* gray) {
  $result = SWIG_Python_AppendOutput($result, result$argnum);
  result$argnum = NULL;  // the caller owns it now
}

%typemap(freearg) (interop_bench::binding::FrameView rgb, std::uint8_t* gray) {
  Py_XDECREF(result$argnum);  // only on a path that failed after allocating it
}

// The factor as capi reads it (an int, anything with __index__, or anything
// with __float__), named in the error: SWIG's own would speak of "argument 3",
// the C++ position after the reordering. The adapter checks it against the
// array's type.
%typemap(in) interop_bench::binding::Factor k {
  if (!ib_binding::parse_factor($input, &$1)) SWIG_fail;
}

// A factor that does not fit the array's type: TypeError (a float for an
// integer array) or ValueError (out of range), as NumPy would raise.
%exception interop_bench::swig_adapter::scale {
  try {
    $action
  } catch (const std::invalid_argument& error) {
    PyErr_SetString(PyExc_TypeError, error.what());
    SWIG_fail;
  } catch (const std::out_of_range& error) {
    PyErr_SetString(PyExc_ValueError, error.what());
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
