// An array argument taken through the buffer protocol (PEP 3118), the same for
// every module that asks for buffers itself (capi, swig's typemaps, the floor
// timer): exactly the flags the kernel needs (C-contiguous with its format,
// writable for square, strides for a matrix or a frame), the element type read
// from the buffer's format and item size (element_type.hpp: a format outside
// dtype.hpp's list is a TypeError naming it, never converted), a TypeError or
// ValueError naming the operation and the problem, and the buffer released on
// every path by the destructor.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "interop_bench/element_type.hpp"
#include "interop_bench/frame_layout.hpp"
#include "interop_bench/kernels.hpp"
#include "interop_bench/matrix_layout.hpp"
#include "interop_bench/python_capi.hpp"

namespace interop_bench::binding {

// 1-D arguments: C-contiguous and typed; square adds PyBUF_WRITABLE.
inline constexpr int kVectorFlags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT;
// A matrix or a frame: any strides, which matrix_layout.hpp / frame_layout.hpp read.
inline constexpr int kMatrixFlags = PyBUF_RECORDS_RO;

// acquire()'s `ndim` when the caller checks the dimensions itself (a frame).
inline constexpr int kAnyNdim = -1;

class ArrayBuffer {
 public:
  ArrayBuffer() = default;
  ArrayBuffer(const ArrayBuffer&) = delete;
  ArrayBuffer& operator=(const ArrayBuffer&) = delete;
  ~ArrayBuffer() {
    if (held_) PyBuffer_Release(&view_);
  }

  // False, with a TypeError or ValueError naming the problem, unless `object`
  // exports an `ndim`-D (or kAnyNdim) buffer of a dtype (dtype.hpp) under `flags`.
  bool acquire(PyObject* object, int flags, int ndim, const char* what) {
    if (!PyObject_CheckBuffer(object)) {
      PyErr_Format(PyExc_TypeError, "%s: expected a numpy.ndarray (%s), got %.200s", what,
                   dtype_names_text().c_str(), Py_TYPE(object)->tp_name);
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
    const std::optional<DType> type =
        element_type_from_format(view_.format, static_cast<std::size_t>(view_.itemsize));
    if (!type) {
      PyErr_Format(PyExc_TypeError, "%s: expected dtype %s, got buffer format '%s' (item size %zd)",
                   what, dtype_names_text().c_str(), view_.format != nullptr ? view_.format : "B",
                   view_.itemsize);
      return false;
    }
    type_ = *type;
    if (ndim != kAnyNdim && view_.ndim != ndim) {
      PyErr_Format(PyExc_ValueError, "%s: expected a %d-D array, got %d-D", what, ndim, view_.ndim);
      return false;
    }
    return true;
  }

  // acquire() for memory read as raw bytes (the bandwidth probes): any buffer
  // that is C-contiguous under `flags`, whatever its element type.
  bool acquire_bytes(PyObject* object, int flags, const char* what) {
    if (PyObject_GetBuffer(object, &view_, flags) != 0) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "%s: expected a contiguous buffer, got %.200s", what,
                   Py_TYPE(object)->tp_name);
      return false;
    }
    held_ = true;
    return true;
  }

  // acquire() for a frame: an H x W x 3 uint8 image, pixels packed within its
  // rows, read in place at any row stride (frame_layout.hpp).
  bool acquire_frame(PyObject* object, FrameView* frame) {
    if (!PyObject_CheckBuffer(object)) {
      PyErr_Format(PyExc_TypeError,
                   "frame: expected a numpy.ndarray of uint8 (H x W x 3), got %.200s",
                   Py_TYPE(object)->tp_name);
      return false;
    }
    if (!acquire(object, kMatrixFlags, kAnyNdim, "frame")) return false;
    if (type_ != DType::uint8) {
      PyErr_Format(PyExc_TypeError,
                   "frame: expected dtype uint8 (an 8-bit RGB image), got %s (convert "
                   "explicitly, e.g. a.astype(np.uint8))",
                   dtype_name(type_));
      return false;
    }
    if (const char* problem =
            frame_view(view_.buf, view_.ndim, view_.shape, view_.strides, frame)) {
      PyErr_Format(PyExc_ValueError, "frame: %s", problem);
      return false;
    }
    return true;
  }

  DType type() const { return type_; }

  // The values as T, which must be type()'s C++ type.
  template <class T>
  kernels::span<T> values() const {
    return {static_cast<T*>(view_.buf), static_cast<std::size_t>(view_.len) / sizeof(T)};
  }

  template <class T>
  StridedMatrixOf<T> matrix() const {
    return {static_cast<const T*>(view_.buf), view_.shape[0], view_.shape[1], view_.strides[0],
            view_.strides[1]};
  }

  const void* data() const { return view_.buf; }
  std::size_t bytes() const { return static_cast<std::size_t>(view_.len); }
  // The buffer as acquired (shape and strides under kMatrixFlags).
  const Py_buffer& view() const { return view_; }

 private:
  Py_buffer view_{};
  bool held_ = false;
  DType type_ = DType::float64;
};

}  // namespace interop_bench::binding
