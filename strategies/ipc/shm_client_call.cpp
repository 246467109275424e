#include "shm_client_call.hpp"

#include <time.h>

#include <cstring>
#include <optional>
#include <type_traits>

#include "interop_bench/python_capi.hpp"
#include "sync.hpp"

namespace interop_bench::ipc::client {

namespace binding = interop_bench::binding;

namespace {

const char* op_name(std::uint32_t op) {
  static constexpr std::array<const char*, 9> kNames = {
      "op 0", "sum", "square", "matrix_sum", "scale", "probe", "map_arena", "unmap_arena", "stop"};
  return op < kNames.size() ? kNames[op] : "another op";
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Give up on the worker: `on_failure()` with the pending exception kept.
void abandon(Client* self) {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  if (self->on_failure != nullptr && self->on_failure != Py_None) {
    PyObject* done = PyObject_CallNoArgs(self->on_failure);
    if (done == nullptr) PyErr_WriteUnraisable(self->on_failure);
    Py_XDECREF(done);
  }
  PyErr_Restore(type, value, traceback);
}

// Wait until response_seq moves past `last`; false with an exception when the
// worker died (check raised) or a signal handler raised (Ctrl-C).
bool await_response(Client* self, std::uint32_t last, const char* what) {
  ipc::Control* c = self->control;
  if (ipc::spin_until_change(&c->response_seq, last, self->spin_ns)) return true;
  for (;;) {
    ipc::WaitResult waited;
    {
      binding::GilRelease released;
      waited = ipc::wait_for_change(&c->response_seq, last, &c->client_waiting, 0, self->slice_ns);
    }
    if (waited == ipc::WaitResult::kChanged) return true;
    if (PyErr_CheckSignals() < 0) return false;
    PyObject* alive = PyObject_CallFunction(self->check, "s", what);
    if (alive == nullptr) return false;
    Py_DECREF(alive);
  }
}

PyObject* closed_error() {
  PyErr_SetString(PyExc_RuntimeError, "the shared-memory client is closed (open the strategy)");
  return nullptr;
}

void detach_arena(Client* self, std::uint32_t index) {
  if (self->attached[index]) {
    self->arenas.clear(index);
    PyBuffer_Release(&self->arena_views[index]);
    self->attached[index] = false;
  }
}

void release_all(Client* self) {
  for (std::uint32_t i = 0; i < ipc::kMaxArenas; ++i) detach_arena(self, i);
  self->scratch_bytes = 0;
  self->in_flight = false;
  if (self->control != nullptr) {
    self->control = nullptr;
    PyBuffer_Release(&self->control_view);
  }
  self->release_pending = false;
}

// True when no call is in progress; else false with the error Busy raises.
bool idle(Client* self) {
  const Busy busy(self);
  return static_cast<bool>(busy);
}

std::optional<std::uint32_t> publish_request(Client* self, const ipc::Request& request) {
  ipc::Control* control = self->control;
  if (control == nullptr) {
    closed_error();
    return std::nullopt;
  }
  if (self->timing) self->sent_ns = monotonic_ns();
  return ipc::send(control, request, ++self->seq);
}

std::optional<ipc::Response> await_answer(Client* self, std::uint32_t last, std::uint32_t op) {
  const std::uint32_t seq = self->seq;
  if (!await_response(self, last, op_name(op))) {
    abandon(self);
    return std::nullopt;
  }
  ipc::Control* control = self->control;
  if (self->timing) self->answered_ns = monotonic_ns();
  const ipc::Response response = ipc::read_response(control);
  const auto status = static_cast<ipc::Status>(response.status);
  // The header is ours and never changes: a worker that wrote over it is broken too.
  const bool header_intact = control->magic == ipc::kMagic && control->version == ipc::kVersion;
  if (response.seq != seq || (status != ipc::Status::kOk && status != ipc::Status::kError) ||
      !header_intact) {
    PyErr_Format(self->worker_error,
                 "ib_worker broke the protocol: answered request %u with sequence number %u and "
                 "status 0x%x%s; it is no longer trusted",
                 seq, response.seq, response.status,
                 header_intact ? "" : ", and overwrote the control block's magic/version");
    abandon(self);
    return std::nullopt;
  }
  self->detail = response.detail;
  if (status == ipc::Status::kError) {
    const char* text = control->error_text;
    PyObject* message = PyUnicode_DecodeUTF8(text, strnlen(text, ipc::kErrorTextBytes), "replace");
    if (message != nullptr) {
      PyErr_Format(self->refused_error, "ib_worker refused the request: %U", message);
      Py_DECREF(message);
    }
    return std::nullopt;
  }
  return response;
}

std::optional<ipc::Response> exchange(Client* self, const ipc::Request& request) {
  const std::optional<std::uint32_t> last = publish_request(self, request);
  if (!last) return std::nullopt;
  return await_answer(self, *last, request.op);
}

PyObject* result_object(const ipc::Response& response, std::uint32_t dtype) {
  const std::optional<DType> type = dtype_from_code(dtype);
  if (!type) {
    PyErr_Format(PyExc_ValueError, "unknown dtype code %u", dtype);
    return nullptr;
  }
  // The sum as NumPy's: a float for floats, an int (the answer's two's
  // complement bits, or uint64 for unsigned types) for integers.
  return visit_dtype(*type, [&response]<class T>(std::type_identity<T>) {
    if constexpr (std::is_floating_point_v<T>) {
      return PyFloat_FromDouble(response.result);
    } else if constexpr (std::is_signed_v<T>) {
      return PyLong_FromLongLong(static_cast<long long>(response.integer_result));
    } else {
      return PyLong_FromUnsignedLongLong(response.integer_result);
    }
  });
}

}  // namespace interop_bench::ipc::client
