// The producer side: scale's result (and a frame's gray image) is a C++ buffer
// exported as an ArrowSchema (a primitive type: the argument's, "g" "f" "i" "s"
// "C"; a gray image is the flat "C" array of its H * W bytes, which the adapter
// reshapes) and an ArrowArray whose release callback frees the buffer, each in a capsule
// ("arrow_schema", "arrow_array") whose destructor releases the struct only if no consumer moved it
// out. pyarrow imports the pair without copying (pa.Array._import_from_c_capsule).
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>

namespace interop_bench::arrow {

// (schema capsule, array capsule) of Arrow `format` (a static string) over room
// for `elements` values of `item_bytes` each (written through `*data`), or
// nullptr with an exception.
PyObject* export_result(const char* format, std::size_t item_bytes, std::size_t elements,
                        void** data);

// Exported result arrays / schemas not yet released: the tests watch them
// return to where they started (a release called twice would go below).
Py_ssize_t live_result_arrays();
Py_ssize_t live_result_schemas();

}  // namespace interop_bench::arrow
