#include "dlpack_result.hpp"

#include <dlpack/dlpack.h>

#include <algorithm>
#include <cstdint>
#include <new>

#include "dlpack_consumer.hpp"
#include "interop_bench/python_capi.hpp"
#include "interop_bench/result_buffer.hpp"

namespace interop_bench::dlpack {

namespace {

inline constexpr int kMaxResultDims = 2;

struct ResultObject {
  PyObject_HEAD void* data;
  DLDataType dtype;
  int ndim;
  int64_t shape[kMaxResultDims];
};

// One export: the managed tensor and the shape it points at (strides NULL:
// compact row-major). `managed` comes first, so the deleter's pointer is ours.
struct Exported {
  DLManagedTensor managed;
  int64_t shape[kMaxResultDims];
};

PyTypeObject* result_type = nullptr;
Py_ssize_t live_result_count = 0;  // changed with the GIL held

// The DLPack deleter: may be called from any thread, with or without the GIL.
void delete_exported(DLManagedTensor* self) {
  const PyGILState_STATE gil = PyGILState_Ensure();
  Py_DECREF(static_cast<PyObject*>(self->manager_ctx));
  PyGILState_Release(gil);
  delete reinterpret_cast<Exported*>(self);
}

// A capsule that no consumer renamed still owns its tensor.
void destroy_capsule(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, kCapsuleName)) return;  // consumed: the consumer owns it
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, kCapsuleName));
  managed->deleter(managed);
}

bool is_cpu_device(PyObject* device) {
  if (device == Py_None) return true;
  if (!PyTuple_Check(device) || PyTuple_GET_SIZE(device) != 2) return false;
  const long type = PyLong_AsLong(PyTuple_GET_ITEM(device, 0));
  const long id = PyLong_AsLong(PyTuple_GET_ITEM(device, 1));
  if (PyErr_Occurred()) PyErr_Clear();
  return type == kDLCPU && id == 0;
}

// __dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None).
// max_version is accepted and answered with the unversioned capsule, which the
// DLPack Python specification allows a producer without 1.x support to return.
bool check_dlpack_keywords(PyObject* const* values, PyObject* names) {
  const Py_ssize_t count = names != nullptr ? PyTuple_GET_SIZE(names) : 0;
  for (Py_ssize_t i = 0; i < count; ++i) {
    PyObject* name = PyTuple_GET_ITEM(names, i);
    PyObject* value = values[i];
    if (PyUnicode_CompareWithASCIIString(name, "max_version") == 0) continue;
    if (PyUnicode_CompareWithASCIIString(name, "stream") == 0) {
      if (value == Py_None) continue;
      PyErr_SetString(PyExc_BufferError, "__dlpack__: stream must be None for CPU data");
      return false;
    }
    if (PyUnicode_CompareWithASCIIString(name, "dl_device") == 0) {
      if (is_cpu_device(value)) continue;
      PyErr_SetString(PyExc_BufferError,
                      "__dlpack__: this result lives on the CPU (device (1, 0))");
      return false;
    }
    if (PyUnicode_CompareWithASCIIString(name, "copy") == 0) {
      if (value != Py_True) continue;
      PyErr_SetString(PyExc_BufferError, "__dlpack__: copy=True is not supported by this exporter");
      return false;
    }
    PyErr_Format(PyExc_TypeError, "__dlpack__() got an unexpected keyword argument '%U'", name);
    return false;
  }
  return true;
}

PyObject* result_dlpack(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  if (PyVectorcall_NARGS(nargs) != 0) {
    PyErr_SetString(PyExc_TypeError, "__dlpack__() takes keyword arguments only");
    return nullptr;
  }
  if (!check_dlpack_keywords(args, kwnames)) return nullptr;
  auto* result = reinterpret_cast<ResultObject*>(self);
  auto* exported = new (std::nothrow) Exported{};
  if (exported == nullptr) return PyErr_NoMemory();
  std::copy(result->shape, result->shape + result->ndim, exported->shape);
  DLTensor& t = exported->managed.dl_tensor;
  t.data = result->data;
  t.device = {kDLCPU, 0};
  t.ndim = result->ndim;
  t.dtype = result->dtype;
  t.shape = exported->shape;
  t.strides = nullptr;
  t.byte_offset = 0;
  exported->managed.manager_ctx = self;
  exported->managed.deleter = delete_exported;
  Py_INCREF(self);  // the deleter's reference
  PyObject* capsule = PyCapsule_New(&exported->managed, kCapsuleName, destroy_capsule);
  if (capsule == nullptr) delete_exported(&exported->managed);
  return capsule;
}

PyObject* result_dlpack_device(PyObject*, PyObject*) {
  return Py_BuildValue("(ii)", static_cast<int>(kDLCPU), 0);
}

void result_dealloc(PyObject* self) {
  auto* result = reinterpret_cast<ResultObject*>(self);
  binding::free_result(result->data);
  --live_result_count;
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);  // instances of a heap type hold a reference to it
}

PyMethodDef result_methods[] = {
    {"__dlpack__", binding::as_py_cfunction(result_dlpack), METH_FASTCALL | METH_KEYWORDS,
     "__dlpack__(*, stream=None, max_version=None, dl_device=None, copy=None) -> 'dltensor' "
     "capsule"},
    {"__dlpack_device__", result_dlpack_device, METH_NOARGS, "(1, 0): CPU"},
    {nullptr, nullptr, 0, nullptr},
};

PyType_Slot result_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(result_dealloc)},
    {Py_tp_methods, result_methods},
    {Py_tp_doc,
     const_cast<char*>("scale's or frame's result: a C++ buffer exported through DLPack")},
    {0, nullptr},
};

PyType_Spec result_spec = {
    "interop_bench._native.ib_dlpack.Result",
    sizeof(ResultObject),
    0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    result_slots,
};

}  // namespace

bool add_result_type(PyObject* module) {
  result_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&result_spec));
  if (result_type == nullptr) return false;
  Py_INCREF(result_type);  // one for the module, one kept here
  return PyModule_AddObject(module, "Result", reinterpret_cast<PyObject*>(result_type)) == 0;
}

PyObject* new_result(DLDataType dtype, int ndim, const int64_t* shape, void** data) {
  if (ndim < 1 || ndim > kMaxResultDims) {
    PyErr_SetString(PyExc_SystemError, "dlpack result: 1 or 2 dimensions");
    return nullptr;
  }
  std::size_t bytes = dtype.bits / 8;
  for (int i = 0; i < ndim; ++i) bytes *= static_cast<std::size_t>(shape[i]);
  binding::ResultBuffer<char> buffer;
  try {
    buffer = binding::allocate_result<char>(bytes);
  } catch (const std::bad_alloc&) {
    return PyErr_NoMemory();
  }
  ResultObject* result = PyObject_New(ResultObject, result_type);
  if (result == nullptr) return nullptr;
  result->dtype = dtype;
  result->ndim = ndim;
  std::copy(shape, shape + ndim, result->shape);
  result->data = buffer.release();
  ++live_result_count;
  *data = result->data;
  return reinterpret_cast<PyObject*>(result);
}

Py_ssize_t live_results() {
  return live_result_count;
}

}  // namespace interop_bench::dlpack
