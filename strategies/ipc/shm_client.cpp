// libib_shm_client.so: the client's half of the shared-memory signalling, called
// through ctypes (which releases the GIL around the call, so a blocked caller
// does not stall other Python threads). Python writes the request fields into
// the control block with plain stores before calling ib_shm_call; the store of
// request_seq inside it is the release that publishes them, and the acquire
// load that sees response_seq change makes the worker's answer visible to the
// Python reads that follow the call.
#include <cstdint>

#include "protocol.hpp"
#include "sync.hpp"

namespace ipc = interop_bench::ipc;

extern "C" {

// Wait until the control block's response_seq differs from `last_response`:
// spin up to `spin_ns`, then sleep up to `timeout_ns`. Returns 0 when it
// changed, 1 when it did not (timeout or signal): the caller checks that the
// worker lives and that no KeyboardInterrupt is pending, then calls again.
int ib_shm_wait(void* control, std::uint32_t last_response, std::int64_t spin_ns,
                std::int64_t timeout_ns) {
  auto* c = static_cast<ipc::Control*>(control);
  return static_cast<int>(ipc::wait_for_change(&c->response_seq, last_response, &c->client_waiting,
                                               spin_ns, timeout_ns));
}

// Publish the request already written as number `seq` (waking the worker if
// it sleeps), then wait for its response as ib_shm_wait does.
int ib_shm_call(void* control, std::uint32_t seq, std::int64_t spin_ns, std::int64_t timeout_ns) {
  auto* c = static_cast<ipc::Control*>(control);
  const std::uint32_t last_response = ipc::load_acquire(&c->response_seq);
  ipc::publish(&c->request_seq, seq, &c->worker_waiting);
  return ib_shm_wait(control, last_response, spin_ns, timeout_ns);
}

}  // extern "C"
