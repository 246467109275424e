// The one in-process call every serialization format crosses: a bytes-like
// message in, a bytearray reply out (CPython C API, METH_FASTCALL), so that
// formats differ only by their codec, never by their binding.
//
//   call(message, timed=False) -> bytearray
//                               | (bytearray, decode_ns, kernel_ns, encode_ns)
//   decoded_address(message)   -> address where the native side read the values
//
// MessageError becomes ValueError, std::bad_alloc MemoryError. The GIL is
// released while decoding, computing and encoding.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <new>
#include <span>
#include <string>

#include "execute.hpp"

namespace interop_bench::serialization {

// The message as a byte span, valid while the Py_buffer is held.
class MessageBuffer {
 public:
  explicit MessageBuffer(PyObject* object) {
    ok_ = PyObject_GetBuffer(object, &view_, PyBUF_SIMPLE) == 0;
  }
  ~MessageBuffer() {
    if (ok_) PyBuffer_Release(&view_);
  }
  MessageBuffer(const MessageBuffer&) = delete;
  MessageBuffer& operator=(const MessageBuffer&) = delete;

  bool ok() const { return ok_; }
  std::span<const std::uint8_t> bytes() const {
    return {static_cast<const std::uint8_t*>(view_.buf), static_cast<std::size_t>(view_.len)};
  }

 private:
  Py_buffer view_{};
  bool ok_ = false;
};

enum class Failure { none, message, memory };

// Runs `work` without the GIL, turning C++ exceptions into a Failure + text.
template <class Work>
Failure run_without_gil(Work&& work, std::string& error) {
  Failure failure = Failure::none;
  Py_BEGIN_ALLOW_THREADS;
  try {
    work();
  } catch (const MessageError& e) {
    failure = Failure::message;
    error = e.what();
  } catch (const std::bad_alloc&) {
    failure = Failure::memory;
  }
  Py_END_ALLOW_THREADS;
  return failure;
}

inline PyObject* raise(Failure failure, const std::string& error) {
  if (failure == Failure::memory) return PyErr_NoMemory();
  PyErr_SetString(PyExc_ValueError, error.c_str());
  return nullptr;
}

inline bool one_message(const char* function, Py_ssize_t nargs, Py_ssize_t max_args) {
  if (nargs >= 1 && nargs <= max_args) return true;
  PyErr_Format(PyExc_TypeError, "%s() takes a bytes-like message", function);
  return false;
}

template <class Codec>
PyObject* call(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!one_message("call", nargs, 2)) return nullptr;
  const int timed = nargs == 2 ? PyObject_IsTrue(args[1]) : 0;
  if (timed < 0) return nullptr;
  typename Codec::Writer writer;
  PhaseTimes times;
  std::string error;
  Failure failure;
  {
    const MessageBuffer message(args[0]);
    if (!message.ok()) return nullptr;
    failure = run_without_gil([&] { execute<Codec>(message.bytes(), writer, times); }, error);
  }
  if (failure != Failure::none) return raise(failure, error);
  // The copy into a Python object is part of encoding: every format pays it.
  Stopwatch watch;
  const std::span<const std::uint8_t> reply = writer.bytes();
  PyObject* out = PyByteArray_FromStringAndSize(reinterpret_cast<const char*>(reply.data()),
                                                static_cast<Py_ssize_t>(reply.size()));
  watch.lap(times.encode_ns);
  if (out == nullptr || !timed) return out;
  return Py_BuildValue("(NLLL)", out, static_cast<long long>(times.decode_ns),
                       static_cast<long long>(times.kernel_ns),
                       static_cast<long long>(times.encode_ns));
}

template <class Codec>
PyObject* decoded_address(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!one_message("decoded_address", nargs, 1)) return nullptr;
  std::uintptr_t address = 0;
  std::string error;
  const MessageBuffer message(args[0]);
  if (!message.ok()) return nullptr;
  const Failure failure = run_without_gil(
      [&] {
        address = reinterpret_cast<std::uintptr_t>(Codec::decode(message.bytes()).data.data());
      },
      error);
  if (failure != Failure::none) return raise(failure, error);
  return PyLong_FromUnsignedLongLong(address);
}

// The module's two functions, for PyModuleDef.m_methods.
template <class Codec>
PyMethodDef* methods() {
  static PyMethodDef table[] = {
      {"call", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&call<Codec>)),
       METH_FASTCALL, "call(message, timed=False): decode, compute, encode the reply"},
      {"decoded_address",
       reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&decoded_address<Codec>)),
       METH_FASTCALL, "decoded_address(message): where the native side read the values"},
      {nullptr, nullptr, 0, nullptr}};
  return table;
}

}  // namespace interop_bench::serialization

// Defines PyInit_<name> for a module whose functions run `codec`.
#define IB_SERIALIZATION_MODULE(name, codec, doc)                                \
  PyMODINIT_FUNC PyInit_##name() {                                               \
    static PyModuleDef module = {PyModuleDef_HEAD_INIT,                          \
                                 #name,                                          \
                                 doc,                                            \
                                 -1,                                             \
                                 interop_bench::serialization::methods<codec>(), \
                                 nullptr,                                        \
                                 nullptr,                                        \
                                 nullptr,                                        \
                                 nullptr};                                       \
    return PyModule_Create(&module);                                             \
  }
