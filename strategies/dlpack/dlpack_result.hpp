// The producer side: scale's result (and a frame's gray image) is a C++ buffer held by a small
// Python object (`ib_dlpack.Result`) that exports it through `__dlpack__` and
// `__dlpack_device__`, so `np.from_dlpack(result)` wraps it without copying.
// Each `__dlpack__()` call hands out a new unversioned "dltensor" capsule whose
// DLManagedTensor holds a reference to the Result; its deleter drops that
// reference. The buffer is freed exactly once, when the Result object dies.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlpack/dlpack.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "dlpack_consumer.hpp"

namespace interop_bench::dlpack {

// Create the Result type and add it to `module`; false with an exception.
bool add_result_type(PyObject* module);

// A new Result owning room for a compact row-major tensor of `dtype` and
// `shape` (`ndim` 1 or 2), written through `*data`; nullptr with an exception.
PyObject* new_result(DLDataType dtype, int ndim, const std::int64_t* shape, void** data);

// new_result of T's DLPack type (dlpack_consumer.hpp's dl_type_v).
template <class T>
PyObject* new_typed_result(std::initializer_list<std::int64_t> shape, T** data) {
  void* memory = nullptr;
  PyObject* result =
      new_result(dl_type_v<T>, static_cast<int>(shape.size()), shape.begin(), &memory);
  *data = static_cast<T*>(memory);
  return result;
}

// Result buffers allocated and not yet freed (the tests watch it return to
// where it started).
Py_ssize_t live_results();

}  // namespace interop_bench::dlpack
