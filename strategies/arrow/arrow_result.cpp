#include "arrow_result.hpp"

#include <atomic>
#include <new>

#include "arrow_c_data.hpp"
#include "arrow_consumer.hpp"
#include "interop_bench/result_buffer.hpp"

namespace interop_bench::arrow {

namespace {

// Release callbacks may run on any thread, without the GIL.
std::atomic<Py_ssize_t> live_arrays{0};
std::atomic<Py_ssize_t> live_schemas{0};

// What the ArrowArray's private_data owns: the buffer pointers it lists.
struct ResultArrayData {
  const void* buffers[2];  // {validity: none, values}
};

void release_array(ArrowArray* array) {
  auto* owned = static_cast<ResultArrayData*>(array->private_data);
  binding::free_result(const_cast<void*>(owned->buffers[1]));
  delete owned;
  array->release = nullptr;  // the spec's mark of a released struct
  --live_arrays;
}

void release_schema(ArrowSchema* schema) {
  schema->release = nullptr;  // format and name are static strings: nothing to free
  --live_schemas;
}

// Capsule destructors: release what no consumer moved out, free the struct.
void destroy_schema_capsule(PyObject* capsule) {
  auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, kSchemaCapsuleName));
  if (schema->release != nullptr) schema->release(schema);
  delete schema;
}

void destroy_array_capsule(PyObject* capsule) {
  auto* array = static_cast<ArrowArray*>(PyCapsule_GetPointer(capsule, kArrayCapsuleName));
  if (array->release != nullptr) array->release(array);
  delete array;
}

PyObject* new_schema_capsule(const char* format) {
  auto* schema = new (std::nothrow) ArrowSchema{};
  if (schema == nullptr) return PyErr_NoMemory();
  schema->format = format;
  schema->name = "";
  schema->flags = ARROW_FLAG_NULLABLE;  // Arrow's default for a field; there are no nulls
  schema->release = release_schema;
  ++live_schemas;
  PyObject* capsule = PyCapsule_New(schema, kSchemaCapsuleName, destroy_schema_capsule);
  if (capsule == nullptr) {
    release_schema(schema);
    delete schema;
  }
  return capsule;
}

PyObject* new_array_capsule(std::size_t item_bytes, std::size_t elements, void** data) {
  binding::ResultBuffer<char> buffer;
  try {
    if (elements > PY_SSIZE_T_MAX / item_bytes) throw std::bad_alloc();
    buffer = binding::allocate_result<char>(elements * item_bytes);
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  auto* owned = new (std::nothrow) ResultArrayData{{nullptr, buffer.get()}};
  auto* array = new (std::nothrow) ArrowArray{};
  if (owned == nullptr || array == nullptr) {
    delete owned;
    delete array;
    return PyErr_NoMemory();
  }
  *data = buffer.release();  // the array's release callback frees it now
  array->length = static_cast<int64_t>(elements);
  array->null_count = 0;
  array->n_buffers = 2;
  array->buffers = owned->buffers;
  array->release = release_array;
  array->private_data = owned;
  ++live_arrays;
  PyObject* capsule = PyCapsule_New(array, kArrayCapsuleName, destroy_array_capsule);
  if (capsule == nullptr) {
    release_array(array);
    delete array;
  }
  return capsule;
}

}  // namespace

PyObject* export_result(const char* format, std::size_t item_bytes, std::size_t elements,
                        void** data) {
  PyObject* schema = new_schema_capsule(format);
  if (schema == nullptr) return nullptr;
  PyObject* array = new_array_capsule(item_bytes, elements, data);
  if (array == nullptr) {
    Py_DECREF(schema);
    return nullptr;
  }
  PyObject* pair = PyTuple_Pack(2, schema, array);
  Py_DECREF(schema);
  Py_DECREF(array);
  return pair;
}

Py_ssize_t live_result_arrays() {
  return live_arrays.load();
}

Py_ssize_t live_result_schemas() {
  return live_schemas.load();
}

}  // namespace interop_bench::arrow
