// The producer side: scale's result is a C++ buffer held by a small Python
// object (`ib_dlpack.Result`) that exports it through `__dlpack__` and
// `__dlpack_device__`, so `np.from_dlpack(result)` wraps it without copying.
// Each `__dlpack__()` call hands out a new unversioned "dltensor" capsule whose
// DLManagedTensor holds a reference to the Result; its deleter drops that
// reference. The buffer is freed exactly once, when the Result object dies.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>

namespace interop_bench::dlpack {

// Create the Result type and add it to `module`; false with an exception.
bool add_result_type(PyObject* module);

// A new Result owning room for `elements` doubles (written through `*data`),
// or nullptr with an exception.
PyObject* new_result(std::size_t elements, double** data);

// Result buffers allocated and not yet freed (the tests watch it return to
// where it started).
Py_ssize_t live_results();

}  // namespace interop_bench::dlpack
