// ib_shm_client: the client of ib_worker's shared-memory protocol as a CPython
// extension, so that one `shm` call is one C call: `Client.sum(a)` checks the
// array with NumPy's C API (float64, 1-D, C-contiguous, aligned, native byte
// order), finds the data arena that holds it, writes the request, publishes
// it and waits for the answer, checks the answer and returns the float.
// An ordinary array (or any array, for `shm-copy`, which is not zero-copy) is
// copied into the scratch block that Python reserved (`set_scratch`) and, for
// square, back out. Anything else (bad input, an array larger than the scratch
// block, an empty one) goes to a Python fallback, which reserves a larger
// block or raises the project's usual errors.
//
// Waiting: spin up to `spin_ns` holding the GIL (bounded, like a short kernel:
// releasing and re-taking the GIL costs more than the spin when another thread
// wants it), then sleep on the futex with the GIL released, in slices of
// `slice_ns`; between slices, with the GIL, Python's signal handlers run
// (Ctrl-C) and `check(what)` is called to ask whether the worker still lives.
//
// Any broken exchange (worker dead, Ctrl-C, a wrong sequence number or status)
// calls `on_failure()` before the exception propagates: the Python side kills
// the worker and closes the strategy, so nothing is half-done or leaked.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <time.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>

#include "interop_bench/numpy_typenum.hpp"
#include "interop_bench/python_capi.hpp"
#include "protocol.hpp"
#include "shm_client.hpp"
#include "shm_client_call.hpp"
#include "sync.hpp"

namespace ipc = interop_bench::ipc;
namespace binding = interop_bench::binding;
using namespace interop_bench::ipc::client;  // NOLINT: the module is the client's face

namespace {

// The array behind a vector argument when the native path may take it: a NumPy
// array of a dtype the protocol carries (its code in `dtype`), 1-D,
// C-contiguous, aligned, native byte order (and writable when `writable`), not
// empty. nullptr otherwise.
PyArrayObject* native_vector(PyObject* a, bool writable, std::uint32_t* dtype) {
  if (!PyArray_Check(a)) return nullptr;
  auto* array = reinterpret_cast<PyArrayObject*>(a);
  const auto type = binding::dtype_of_numpy_typenum(PyArray_TYPE(array));
  if (!type || PyArray_NDIM(array) != 1 || !PyArray_ISCARRAY_RO(array) ||
      (writable && !PyArray_ISWRITEABLE(array)) || PyArray_DIM(array, 0) == 0) {
    return nullptr;
  }
  *dtype = static_cast<std::uint32_t>(*type);
  return array;
}

// memcpy, with the GIL released around large copies as around large kernels.
void copy_bytes(void* to, const void* from, std::uint64_t bytes) {
  binding::run_releasing_gil(bytes / sizeof(double), [&] { std::memcpy(to, from, bytes); });
}

// sum or square of `a`: in place when it lies in an arena (zero-copy clients),
// else through the scratch block; the fallback when neither applies.
PyObject* vector_op(Client* self, PyObject* a, ipc::Op op, PyObject* fallback) {
  const bool square = op == ipc::Op::kSquare;
  std::uint32_t dtype = 0;
  PyArrayObject* array = native_vector(a, square, &dtype);
  const std::uint64_t count = array ? static_cast<std::uint64_t>(PyArray_DIM(array, 0)) : 0;
  const std::uint64_t bytes = array ? static_cast<std::uint64_t>(PyArray_NBYTES(array)) : 0;
  std::optional<ipc::Place> place;
  void* scratch = nullptr;
  if (array != nullptr && self->zero_copy) place = self->arenas.find(PyArray_DATA(array), bytes);
  if (array != nullptr && !place && bytes <= self->scratch_bytes) {
    scratch = self->arenas.address(self->scratch, bytes);
    if (scratch != nullptr) place = self->scratch;
  }
  if (!place) {
    if (fallback == nullptr || fallback == Py_None) return closed_error();
    return PyObject_CallOneArg(fallback, a);
  }
  const Busy busy(self);
  if (!busy) return nullptr;
  if (scratch != nullptr) copy_bytes(scratch, PyArray_DATA(array), bytes);
  ipc::Request request;
  request.op = static_cast<std::uint32_t>(op);
  request.dtype = dtype;
  request.count = count;
  request.in_arena = place->arena;
  request.in_offset = place->offset;
  const std::optional<ipc::Response> response = exchange(self, request);
  if (!response) return nullptr;
  if (!square) return result_object(*response, dtype);
  if (scratch != nullptr) copy_bytes(PyArray_DATA(array), scratch, bytes);
  Py_RETURN_NONE;
}

PyObject* client_sum(PyObject* self, PyObject* a) {
  auto* client = reinterpret_cast<Client*>(self);
  return vector_op(client, a, ipc::Op::kSum, client->fallback_sum);
}

PyObject* client_square(PyObject* self, PyObject* a) {
  auto* client = reinterpret_cast<Client*>(self);
  return vector_op(client, a, ipc::Op::kSquare, client->fallback_square);
}

bool as_u64(PyObject* object, std::uint64_t* value) {
  *value = PyLong_AsUnsignedLongLong(object);
  return !(*value == static_cast<std::uint64_t>(-1) && PyErr_Occurred());
}

bool as_u32(PyObject* object, std::uint32_t* value) {
  std::uint64_t wide = 0;
  if (!as_u64(object, &wide)) return false;
  if (wide > UINT32_MAX) {
    PyErr_Format(PyExc_OverflowError, "%llu does not fit a 32-bit field",
                 static_cast<unsigned long long>(wide));
    return false;
  }
  *value = static_cast<std::uint32_t>(wide);
  return true;
}

// The request that request() and send() take as their 12 arguments: op, count,
// in_arena, in_offset, out_arena, out_offset, factor, rows, cols, row_stride,
// arena_bytes, dtype. nullopt with an exception set when one is not a number.
std::optional<ipc::Request> parse_request(const char* what, PyObject* const* args,
                                          Py_ssize_t nargs) {
  if (nargs != 12) {
    PyErr_Format(PyExc_TypeError, "%s() takes 12 arguments, got %zd", what, nargs);
    return std::nullopt;
  }
  ipc::Request r;
  r.factor = PyFloat_AsDouble(args[6]);
  const bool ok = as_u32(args[0], &r.op) && as_u64(args[1], &r.count) &&
                  as_u32(args[2], &r.in_arena) && as_u64(args[3], &r.in_offset) &&
                  as_u32(args[4], &r.out_arena) && as_u64(args[5], &r.out_offset) &&
                  !(r.factor == -1.0 && PyErr_Occurred()) && as_u64(args[7], &r.rows) &&
                  as_u64(args[8], &r.cols) && as_u64(args[9], &r.row_stride) &&
                  as_u64(args[10], &r.arena_bytes) && as_u32(args[11], &r.dtype);
  return ok ? std::optional(r) : std::nullopt;
}

// request(<the 12 fields of parse_request>) -> float | int
PyObject* client_request(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  const std::optional<ipc::Request> r = parse_request("request", args, nargs);
  if (!r) return nullptr;
  auto* client = reinterpret_cast<Client*>(self);
  const Busy busy(client);
  if (!busy) return nullptr;
  const std::optional<ipc::Response> response = exchange(client, *r);
  return response ? result_object(*response, r->dtype) : nullptr;
}

// send(<the 12 fields of parse_request>): publish the request and return at
// once; receive() waits for its answer, and no other exchange starts before.
PyObject* client_send(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  const std::optional<ipc::Request> r = parse_request("send", args, nargs);
  if (!r) return nullptr;
  auto* client = reinterpret_cast<Client*>(self);
  const Busy busy(client);
  if (!busy) return nullptr;
  const std::optional<std::uint32_t> last = publish_request(client, *r);
  if (!last) return nullptr;
  client->in_flight = true;
  client->in_flight_last = *last;
  client->in_flight_op = r->op;
  client->in_flight_dtype = r->dtype;
  Py_RETURN_NONE;
}

// receive() -> float | int: the answer to the request send() published.
PyObject* client_receive(PyObject* self, PyObject*) {
  auto* client = reinterpret_cast<Client*>(self);
  const Busy busy(client, Busy::For::kReceive);
  if (!busy) return nullptr;
  const std::optional<ipc::Response> response =
      await_answer(client, client->in_flight_last, client->in_flight_op);
  client->in_flight = false;  // answered, refused, or its worker abandoned
  return response ? result_object(*response, client->in_flight_dtype) : nullptr;
}

// wait(last, what): wait for the first response (the worker's handshake).
PyObject* client_wait(PyObject* self, PyObject* args) {
  auto* client = reinterpret_cast<Client*>(self);
  unsigned int last = 0;
  const char* what = nullptr;
  if (!PyArg_ParseTuple(args, "Is", &last, &what)) return nullptr;
  if (client->control == nullptr) return closed_error();
  const Busy busy(client);
  if (!busy || !await_response(client, last, what)) return nullptr;
  Py_RETURN_NONE;
}

bool arena_index(PyObject* object, std::uint32_t* index) {
  if (!as_u32(object, index)) return false;
  if (*index >= ipc::kMaxArenas) {
    PyErr_Format(PyExc_ValueError, "arena index %u is out of range", *index);
    return false;
  }
  return true;
}

// attach(index, segment): the arena the worker mapped as `index` is `segment`'s
// memory (any writable buffer; held until detach or release).
PyObject* client_attach(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  auto* client = reinterpret_cast<Client*>(self);
  std::uint32_t index = 0;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "attach() takes 2 arguments (index, segment)");
    return nullptr;
  }
  if (!arena_index(args[0], &index) || !idle(client)) return nullptr;
  Py_buffer view;
  if (PyObject_GetBuffer(args[1], &view, PyBUF_WRITABLE) < 0) return nullptr;
  detach_arena(client, index);
  client->arena_views[index] = view;
  client->attached[index] = true;
  client->arenas.set(index, view.buf, static_cast<std::uint64_t>(view.len));
  Py_RETURN_NONE;
}

PyObject* client_detach(PyObject* self, PyObject* index_object) {
  std::uint32_t index = 0;
  auto* client = reinterpret_cast<Client*>(self);
  if (!arena_index(index_object, &index) || !idle(client)) return nullptr;
  if (client->scratch.arena == index) client->scratch_bytes = 0;
  detach_arena(client, index);
  Py_RETURN_NONE;
}

// place(a, nbytes) -> (arena, offset) | None: where `nbytes` from `a`'s first
// element lie in an arena, if they do (`a` any NumPy array).
PyObject* client_place(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  std::uint64_t nbytes = 0;
  if (nargs != 2 || !PyArray_Check(args[0])) {
    PyErr_SetString(PyExc_TypeError, "place() takes a NumPy array and a byte count");
    return nullptr;
  }
  if (!as_u64(args[1], &nbytes)) return nullptr;
  const void* data = PyArray_DATA(reinterpret_cast<PyArrayObject*>(args[0]));
  const auto place = reinterpret_cast<Client*>(self)->arenas.find(data, nbytes);
  if (!place || nbytes == 0) Py_RETURN_NONE;
  return Py_BuildValue("(IK)", place->arena, static_cast<unsigned long long>(place->offset));
}

// set_fallbacks(sum, square, zero_copy): what sum(a) and square(a) call for
// arrays the native path does not take, and whether arrays that lie in an
// arena are used in place (else they are copied like any other).
PyObject* client_set_fallbacks(PyObject* self, PyObject* args) {
  auto* client = reinterpret_cast<Client*>(self);
  PyObject *sum = nullptr, *square = nullptr;
  int zero_copy = 0;
  if (!PyArg_ParseTuple(args, "OOp", &sum, &square, &zero_copy)) return nullptr;
  client->zero_copy = zero_copy != 0;
  Py_INCREF(sum);
  Py_INCREF(square);
  Py_XSETREF(client->fallback_sum, sum);
  Py_XSETREF(client->fallback_square, square);
  Py_RETURN_NONE;
}

// set_scratch(arena, offset, nbytes): the block that ordinary arrays are copied
// into; Python keeps it allocated (and calls again whenever it replaces it).
PyObject* client_set_scratch(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  auto* client = reinterpret_cast<Client*>(self);
  ipc::Place place;
  std::uint64_t nbytes = 0;
  if (nargs != 3) {
    PyErr_SetString(PyExc_TypeError, "set_scratch() takes 3 arguments (arena, offset, nbytes)");
    return nullptr;
  }
  if (!arena_index(args[0], &place.arena) || !as_u64(args[1], &place.offset) ||
      !as_u64(args[2], &nbytes) || !idle(client)) {
    return nullptr;
  }
  if (client->arenas.address(place, nbytes) == nullptr) {
    PyErr_SetString(PyExc_ValueError, "set_scratch(): the block is not inside an attached arena");
    return nullptr;
  }
  client->scratch = place;
  client->scratch_bytes = nbytes;
  Py_RETURN_NONE;
}

// release(): let go of every segment; later exchanges raise, and sum/square
// send everything to the fallbacks (a closed strategy's error). While another
// thread is in a call, that call lets go when it ends.
PyObject* client_release(PyObject* self, PyObject*) {
  auto* client = reinterpret_cast<Client*>(self);
  if (client->busy) {
    client->release_pending = true;
  } else {
    release_all(client);
  }
  Py_RETURN_NONE;
}

PyObject* client_seq(PyObject* self, void*) {
  return PyLong_FromUnsignedLong(reinterpret_cast<Client*>(self)->seq);
}

PyObject* client_detail(PyObject* self, void*) {
  return PyLong_FromUnsignedLongLong(reinterpret_cast<Client*>(self)->detail);
}

PyObject* client_get_timing(PyObject* self, void*) {
  return PyBool_FromLong(reinterpret_cast<Client*>(self)->timing);
}

int client_set_timing(PyObject* self, PyObject* value, void*) {
  const int timing = value == nullptr ? 0 : PyObject_IsTrue(value);
  if (timing < 0) return -1;
  reinterpret_cast<Client*>(self)->timing = timing != 0;
  return 0;
}

PyObject* client_marks(PyObject* self, void*) {
  const auto* client = reinterpret_cast<Client*>(self);
  return Py_BuildValue("(LL)", static_cast<long long>(client->sent_ns),
                       static_cast<long long>(client->answered_ns));
}

bool is_exception_class(PyObject* object) {
  return PyType_Check(object) && PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(object),
                                                  reinterpret_cast<PyTypeObject*>(PyExc_Exception));
}

// Client(control, spin_ns, slice_ns, check, on_failure, worker_error, refused_error)
PyObject* client_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  static const char* keywords[] = {"control",    "spin_ns",      "slice_ns",      "check",
                                   "on_failure", "worker_error", "refused_error", nullptr};
  PyObject *control = nullptr, *check = nullptr, *on_failure = nullptr;
  PyObject *worker_error = nullptr, *refused_error = nullptr;
  long long spin_ns = 0, slice_ns = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLLOOOO", const_cast<char**>(keywords), &control,
                                   &spin_ns, &slice_ns, &check, &on_failure, &worker_error,
                                   &refused_error)) {
    return nullptr;
  }
  if (slice_ns <= 0 || !PyCallable_Check(check) || !PyCallable_Check(on_failure) ||
      !is_exception_class(worker_error) || !is_exception_class(refused_error)) {
    PyErr_SetString(PyExc_ValueError,
                    "Client: slice_ns must be > 0, check and on_failure callable, worker_error "
                    "and refused_error exception classes");
    return nullptr;
  }
  auto* self = reinterpret_cast<Client*>(type->tp_alloc(type, 0));  // zero-filled
  if (self == nullptr) return nullptr;
  new (&self->arenas) ipc::ArenaTable();
  if (PyObject_GetBuffer(control, &self->control_view, PyBUF_WRITABLE) < 0) {
    Py_DECREF(self);
    return nullptr;
  }
  if (self->control_view.len < static_cast<Py_ssize_t>(sizeof(ipc::Control))) {
    PyBuffer_Release(&self->control_view);
    Py_DECREF(self);
    PyErr_SetString(PyExc_ValueError, "Client: the control segment is too small");
    return nullptr;
  }
  self->control = static_cast<ipc::Control*>(self->control_view.buf);
  self->spin_ns = spin_ns;
  self->slice_ns = slice_ns;
  Py_INCREF(check);
  Py_INCREF(on_failure);
  Py_INCREF(worker_error);
  Py_INCREF(refused_error);
  self->check = check;
  self->on_failure = on_failure;
  self->worker_error = worker_error;
  self->refused_error = refused_error;
  return reinterpret_cast<PyObject*>(self);
}

int client_traverse(PyObject* self, visitproc visit, void* arg) {
  auto* client = reinterpret_cast<Client*>(self);
  Py_VISIT(Py_TYPE(self));  // a heap type: its instances own a reference to it
  Py_VISIT(client->check);
  Py_VISIT(client->on_failure);
  Py_VISIT(client->worker_error);
  Py_VISIT(client->refused_error);
  Py_VISIT(client->fallback_sum);
  Py_VISIT(client->fallback_square);
  return 0;
}

int client_clear(PyObject* self) {
  auto* client = reinterpret_cast<Client*>(self);
  Py_CLEAR(client->check);
  Py_CLEAR(client->on_failure);
  Py_CLEAR(client->worker_error);
  Py_CLEAR(client->refused_error);
  Py_CLEAR(client->fallback_sum);
  Py_CLEAR(client->fallback_square);
  return 0;
}

void client_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  client_clear(self);
  Py_XDECREF(client_release(self, nullptr));
  type->tp_free(self);
  Py_DECREF(type);
}

PyMethodDef client_methods[] = {
    {"sum", client_sum, METH_O, "sum(a) -> float: one exchange when `a` lies in an arena"},
    {"square", client_square, METH_O,
     "square(a): in place, one exchange when `a` lies in an arena"},
    {"request", binding::as_py_cfunction(client_request), METH_FASTCALL,
     "request(op, count, in_arena, in_offset, out_arena, out_offset, factor, rows, cols, "
     "row_stride, arena_bytes, dtype) -> float | int: one exchange"},
    {"send", binding::as_py_cfunction(client_send), METH_FASTCALL,
     "send(<request's arguments>): publish a request without waiting for its answer"},
    {"receive", client_receive, METH_NOARGS,
     "receive() -> float | int: the answer to the request send() published"},
    {"wait", client_wait, METH_VARARGS, "wait(last, what): until response_seq moves past last"},
    {"attach", binding::as_py_cfunction(client_attach), METH_FASTCALL,
     "attach(index, segment): the worker's arena `index` is this buffer"},
    {"detach", client_detach, METH_O, "detach(index): arena `index` is gone"},
    {"place", binding::as_py_cfunction(client_place), METH_FASTCALL,
     "place(a, nbytes) -> (arena, offset) | None"},
    {"set_fallbacks", client_set_fallbacks, METH_VARARGS,
     "set_fallbacks(sum, square): for arrays the fast path does not take"},
    {"set_scratch", binding::as_py_cfunction(client_set_scratch), METH_FASTCALL,
     "set_scratch(arena, offset, nbytes): where ordinary arrays are copied"},
    {"release", client_release, METH_NOARGS, "release(): let go of every segment"},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef client_getset[] = {
    {"seq", client_seq, nullptr, "the last request's sequence number", nullptr},
    {"timing", client_get_timing, client_set_timing,
     "note the time of each exchange's publish and answer (see marks)", nullptr},
    {"marks", client_marks, nullptr,
     "(sent_ns, answered_ns) of the last exchange made while timing, in perf_counter_ns() time",
     nullptr},
    {"detail", client_detail, nullptr, "the last response's `detail`", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyType_Slot client_slots[] = {
    {Py_tp_doc, const_cast<char*>("The client side of one ib_worker's control segment.")},
    {Py_tp_new, reinterpret_cast<void*>(client_new)},
    {Py_tp_dealloc, reinterpret_cast<void*>(client_dealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(client_traverse)},
    {Py_tp_clear, reinterpret_cast<void*>(client_clear)},
    {Py_tp_methods, client_methods},
    {Py_tp_getset, client_getset},
    {0, nullptr},
};

PyType_Spec client_spec = {
    "interop_bench._native.ib_shm_client.Client", sizeof(Client), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,      client_slots,
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ib_shm_client",
    "The client of ib_worker's shared-memory protocol: one C call per exchange",
    -1,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

}  // namespace

PyMODINIT_FUNC PyInit_ib_shm_client() {
  import_array();  // NumPy's C API, to check arrays; returns NULL on failure
  PyObject* module = PyModule_Create(&module_def);
  if (module == nullptr) return nullptr;
  PyObject* type = PyType_FromSpec(&client_spec);
  if (type == nullptr || PyModule_AddObject(module, "Client", type) < 0) {
    Py_XDECREF(type);
    Py_DECREF(module);
    return nullptr;
  }
  return module;
}
