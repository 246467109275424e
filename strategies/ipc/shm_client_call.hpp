// The state of one ib_shm_client.Client and the exchange it makes with the
// worker: publish a request, wait for the answer (spinning, then sleeping on
// the futex without the GIL, checking signals and the worker's life between
// slices), check it, and turn every failure into the right Python exception.
// The CPython type around it is shm_client_module.cpp.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <array>
#include <cstdint>
#include <optional>

#include "protocol.hpp"
#include "shm_client.hpp"

namespace interop_bench::ipc::client {

struct Client {
  PyObject ob_base;
  Py_buffer control_view;  // holds the control segment's mmap open
  ipc::Control* control;   // nullptr once released
  std::array<Py_buffer, ipc::kMaxArenas> arena_views;
  std::array<bool, ipc::kMaxArenas> attached;
  ipc::ArenaTable arenas;
  std::int64_t spin_ns;
  std::int64_t slice_ns;
  // The Python side's exception classes, given at construction, so that callers
  // catch one WorkerError whichever side raised it (and this module imports
  // nothing of the package).
  PyObject* worker_error;
  PyObject* refused_error;
  std::uint32_t seq;
  std::uint64_t detail;
  // A call is in progress (the GIL may be released while it copies or
  // sleeps): another thread may not start one, and release() keeps every
  // segment mapped until it ends.
  bool busy;
  bool release_pending;
  // A request published by send() and not yet received: until receive() sees
  // its answer, no other exchange may start (the control block holds one).
  bool in_flight;
  std::uint32_t in_flight_last;  // response_seq before its publish
  std::uint32_t in_flight_op;
  std::uint32_t in_flight_dtype;
  bool zero_copy;               // use arrays that lie in an arena in place
  ipc::Place scratch;           // where ordinary arrays are copied ...
  std::uint64_t scratch_bytes;  // ... and how many bytes fit (0: no block yet)
  bool timing;                  // note sent_ns and answered_ns of each exchange
  std::int64_t sent_ns;         // CLOCK_MONOTONIC (Python's perf_counter_ns) ...
  std::int64_t answered_ns;     // ... before the publish and when the answer was seen
  PyObject* check;              // check(what: str) -> None, raises when the worker died
  PyObject* on_failure;         // on_failure() -> None: abandon the worker
  PyObject* fallback_sum;
  PyObject* fallback_square;
};

std::int64_t monotonic_ns();

// Give up on the worker: `on_failure()` with the pending exception kept.
void abandon(Client* self);

// Wait until response_seq moves past `last`; false with an exception when the
// worker died (check raised) or a signal handler raised (Ctrl-C).
bool await_response(Client* self, std::uint32_t last, const char* what);

PyObject* closed_error();
void detach_arena(Client* self, std::uint32_t index);
void release_all(Client* self);

// Marks the client busy for one call (refusing a second, concurrent one, and
// any but the receive of a request in flight) and carries out a release()
// that came while it was.
class Busy {
 public:
  enum class For { kExchange, kReceive };
  explicit Busy(Client* self, For what = For::kExchange)
      : self_(!self->busy && self->in_flight == (what == For::kReceive) ? self : nullptr) {
    if (self_ != nullptr) {
      self_->busy = true;
    } else if (self->busy) {
      PyErr_SetString(PyExc_RuntimeError,
                      "another thread is in a call on this shared-memory strategy: calls on one "
                      "strategy must not overlap");
    } else {
      PyErr_SetString(PyExc_RuntimeError,
                      self->in_flight
                          ? "a request is in flight on this shared-memory strategy: receive its "
                            "answer first"
                          : "no request is in flight on this shared-memory strategy");
    }
  }
  ~Busy() {
    if (self_ == nullptr) return;
    self_->busy = false;
    if (self_->release_pending) release_all(self_);
  }
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;
  explicit operator bool() const { return self_ != nullptr; }

 private:
  Client* self_;
};

// True when no call is in progress; else false with the error Busy raises.
bool idle(Client* self);

// Publish `request` as the next sequence number, made while `Busy`; the
// response_seq to wait past, or nullopt with an exception set (closed client).
std::optional<std::uint32_t> publish_request(Client* self, const ipc::Request& request);

// Wait for the answer to the last request published (past `last`, of `op`) and
// check it, made while `Busy`; nullopt with an exception set on failure. Every
// failure but a clean refusal abandons the worker.
std::optional<ipc::Response> await_answer(Client* self, std::uint32_t last, std::uint32_t op);

// One exchange (publish_request, then await_answer), made while `Busy`.
std::optional<ipc::Response> exchange(Client* self, const ipc::Request& request);

// The response's result as the Python number a strategy returns for `dtype`:
// a float for the float dtypes, an exact int for the integer ones.
PyObject* result_object(const ipc::Response& response, std::uint32_t dtype);

}  // namespace interop_bench::ipc::client
