// Small pieces of the CPython C API that the hand-written extension modules
// (dlpack, arrow) share: releasing the GIL by RAII, restating an exception with
// the name of the operation that refused, and asking an argument for a protocol
// method (`__dlpack__`, `__arrow_c_array__`) with a clear TypeError when it has none.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "interop_bench/element_type.hpp"
#include "interop_bench/gil_policy.hpp"
#include "interop_bench/result_record.hpp"

namespace interop_bench::binding {

class GilRelease {
 public:
  GilRelease() : state_(PyEval_SaveThread()) {}
  ~GilRelease() { PyEval_RestoreThread(state_); }
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_;
};

// Sets the pending exception aside for its lifetime: a producer's callback
// (DLPack deleter, Arrow release) may run Python code, which must not see, nor
// clear, the error that the call is about to return.
class PendingErrorSaved {
 public:
#if PY_VERSION_HEX >= 0x030C0000
  PendingErrorSaved() : error_(PyErr_GetRaisedException()) {}
  ~PendingErrorSaved() {
    PyErr_SetRaisedException(error_);
  }
#else
  PendingErrorSaved() {
    PyErr_Fetch(&type_, &error_, &traceback_);
  }
  ~PendingErrorSaved() {
    PyErr_Restore(type_, error_, traceback_);
  }
#endif
  PendingErrorSaved(const PendingErrorSaved&) = delete;
  PendingErrorSaved& operator=(const PendingErrorSaved&) = delete;

 private:
#if PY_VERSION_HEX < 0x030C0000
  PyObject* type_ = nullptr;
  PyObject* traceback_ = nullptr;
#endif
  PyObject* error_ = nullptr;
};

// `kernel()`, with the GIL released around it when the array is large (gil_policy.hpp).
template <class Kernel>
decltype(auto) run_releasing_gil(std::size_t elements, Kernel&& kernel) {
  return run_kernel<GilRelease>(elements, kernel);
}

// Replace the pending exception by `type` with "<what>: <its message>", so the
// caller learns which operation refused what.
inline void restate_error(PyObject* type, const char* what) {
#if PY_VERSION_HEX >= 0x030C0000
  PyObject* error = PyErr_GetRaisedException();
#else
  PyObject *error_type, *error, *traceback;
  PyErr_Fetch(&error_type, &error, &traceback);
  PyErr_NormalizeException(&error_type, &error, &traceback);
  Py_XDECREF(error_type);
  Py_XDECREF(traceback);
#endif
  PyErr_Format(type, "%s: %S", what, error);
  Py_XDECREF(error);
}

// `object.<method>()` (new reference), or nullptr with an exception: a TypeError
// naming `protocol` when the object's type has no such method, the producer's
// BufferError (it cannot export this array) restated as `buffer_error_as`, any
// other error restated with `what` in front of it.
inline PyObject* call_protocol_method(PyObject* object, PyObject* method, const char* what,
                                      const char* protocol, PyObject* buffer_error_as) {
  PyObject* result = PyObject_CallMethodNoArgs(object, method);
  if (result != nullptr) return result;
  if (PyErr_ExceptionMatches(PyExc_AttributeError) &&
      !PyObject_HasAttr(reinterpret_cast<PyObject*>(Py_TYPE(object)), method)) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "%s: expected %s, got %.200s", what, protocol,
                 Py_TYPE(object)->tp_name);
  } else if (PyErr_ExceptionMatches(PyExc_BufferError)) {
    restate_error(buffer_error_as, what);
  } else if (PyErr_ExceptionMatches(PyExc_TypeError)) {
    restate_error(PyExc_TypeError, what);
  } else if (PyErr_ExceptionMatches(PyExc_ValueError)) {
    restate_error(PyExc_ValueError, what);
  }
  return nullptr;
}

// A sum as np.sum returns it: a float for the float types, an int for the
// 64-bit accumulators of the integer types (kernels::sum_t).
inline PyObject* to_python(double value) {
  return PyFloat_FromDouble(value);
}
inline PyObject* to_python(float value) {
  return PyFloat_FromDouble(value);
}
inline PyObject* to_python(std::int64_t value) {
  return PyLong_FromLongLong(value);
}
inline PyObject* to_python(std::uint64_t value) {
  return PyLong_FromUnsignedLongLong(value);
}

// scale's factor `k` as a Factor (element_type.hpp): integral when it is an int
// or has __index__ (NumPy's integers), real always (anything with __float__);
// false with a TypeError for anything else, and for a bool.
inline bool parse_factor(PyObject* k, Factor* factor) {
  if (PyBool_Check(k)) {
    PyErr_SetString(PyExc_TypeError, "scale factor: expected a real number, got bool");
    return false;
  }
  factor->real = PyFloat_AsDouble(k);
  if (factor->real == -1.0 && PyErr_Occurred()) {
    restate_error(PyExc_TypeError, "scale factor");
    return false;
  }
  factor->integral = PyIndex_Check(k) != 0;
  if (!factor->integral) return true;
  PyObject* index = PyNumber_Index(k);
  if (index == nullptr) return false;
  int overflow = 0;
  factor->integer = PyLong_AsLongLongAndOverflow(index, &overflow);
  Py_DECREF(index);
  factor->fits_int64 = overflow == 0;
  return !(factor->integer == -1 && PyErr_Occurred());
}

// `k` as the factor of an array of T, or false with a TypeError (an integer
// array and a float factor, anything that is not a number) or a ValueError (an
// integer out of T's range). A float type reads anything with __float__, as
// float64's factor was read before the dtype axis, at the same cost.
template <class T>
bool factor_of(PyObject* k, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    const double real = PyFloat_AsDouble(k);
    if (real == -1.0 && PyErr_Occurred()) {
      restate_error(PyExc_TypeError, "scale factor");
      return false;
    }
    *out = static_cast<T>(real);
    return true;
  } else {
    Factor factor;
    if (!parse_factor(k, &factor)) return false;
    bool type_error = false;
    if (const char* problem = factor_problem(factor, out, &type_error)) {
      PyErr_Format(type_error ? PyExc_TypeError : PyExc_ValueError, "%s (an array of %s, got %R)",
                   problem, dtype_name(dtype_of<T>()), k);
      return false;
    }
    return true;
  }
}

// last_result_address() -> int and result_buffers_alive() -> int, for the tests
// (result_record.hpp); a module lists them with RESULT_RECORD_METHODS.
inline PyObject* last_result_address_py(PyObject*, PyObject*) {
  return PyLong_FromUnsignedLongLong(last_result_address());
}

inline PyObject* result_buffers_alive_py(PyObject*, PyObject*) {
  return PyLong_FromSsize_t(result_buffers_alive.load(std::memory_order_relaxed));
}

#define IB_RESULT_RECORD_METHODS                                                          \
  {"last_result_address", interop_bench::binding::last_result_address_py, METH_NOARGS,    \
   "last_result_address() -> int: where the native side last wrote scale's result"},      \
  {                                                                                       \
    "result_buffers_alive", interop_bench::binding::result_buffers_alive_py, METH_NOARGS, \
        "result_buffers_alive() -> int: result buffers allocated natively and not freed"  \
  }

// METH_FASTCALL functions have another signature than PyCFunction; the cast
// through void(*)() is the documented way and silences -Wcast-function-type.
template <class Function>
PyCFunction as_py_cfunction(Function* function) {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function));
}

}  // namespace interop_bench::binding
