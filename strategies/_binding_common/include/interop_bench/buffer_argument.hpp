// A float64 argument taken through the buffer protocol (PEP 3118), the same for
// every module that asks for buffers itself (capi, swig's typemaps): exactly the
// flags the kernel needs (C-contiguous with its format, writable for square,
// strides for a matrix), a TypeError or ValueError naming the operation and the
// problem, and the buffer released on every path by the destructor.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <bit>
#include <cstddef>
#include <cstring>

#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"

namespace interop_bench::binding {

// 1-D arguments: C-contiguous and typed; square adds PyBUF_WRITABLE.
inline constexpr int kVectorFlags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
// A matrix: any strides, which matrix_layout.hpp reads itself.
inline constexpr int kMatrixFlags = PyBUF_RECORDS_RO;

inline bool is_native_double(const char* format) {
  if (format == nullptr) return false;  // no format means unsigned bytes
  const bool little = std::endian::native == std::endian::little;
  if (*format == '@' || *format == '=' || (*format == '<' && little)) ++format;
  return std::strcmp(format, "d") == 0;
}

class DoubleBuffer {
 public:
  DoubleBuffer() = default;
  DoubleBuffer(const DoubleBuffer&) = delete;
  DoubleBuffer& operator=(const DoubleBuffer&) = delete;
  ~DoubleBuffer() {
    if (held_) PyBuffer_Release(&view_);
  }

  // False, with a TypeError or ValueError naming the problem, unless `object`
  // exports an `ndim`-D native float64 buffer under `flags`.
  bool acquire(PyObject* object, int flags, int ndim, const char* what) {
    if (!PyObject_CheckBuffer(object)) {
      PyErr_Format(PyExc_TypeError, "%s: expected a numpy.ndarray of float64, got %.200s", what,
                   Py_TYPE(object)->tp_name);
      return false;
    }
    if (PyObject_GetBuffer(object, &view_, flags) != 0) {
      // Say which operation refused; BufferError (from exporters other than
      // NumPy) becomes ValueError, the project's error for a bad layout.
      if (PyErr_ExceptionMatches(PyExc_TypeError)) {
        restate_error(PyExc_TypeError, what);
      } else if (PyErr_ExceptionMatches(PyExc_ValueError) ||
                 PyErr_ExceptionMatches(PyExc_BufferError)) {
        restate_error(PyExc_ValueError, what);
      }
      return false;
    }
    held_ = true;
    if (!is_native_double(view_.format) || view_.itemsize != sizeof(double)) {
      PyErr_Format(PyExc_TypeError, "%s: expected dtype float64, got buffer format '%s'", what,
                   view_.format != nullptr ? view_.format : "B");
      return false;
    }
    if (view_.ndim != ndim) {
      PyErr_Format(PyExc_ValueError, "%s: expected a %d-D array, got %d-D", what, ndim, view_.ndim);
      return false;
    }
    return true;
  }

  kernels::span<double> values() const {
    return {static_cast<double*>(view_.buf), static_cast<std::size_t>(view_.len) / sizeof(double)};
  }

  StridedMatrix matrix() const {
    return {static_cast<const double*>(view_.buf), view_.shape[0], view_.shape[1], view_.strides[0],
            view_.strides[1]};
  }

 private:
  Py_buffer view_{};
  bool held_ = false;
};

}  // namespace interop_bench::binding
