// The worker's command-line options, shared by both transports.
#pragma once

#include <cstdint>

namespace interop_bench::ipc {

// Misbehaviours the tests ask for, to check that the client does not trust
// the worker blindly. Never used outside python/tests/test_ipc.py.
enum class Fault { kNone, kBadSeq, kBadStatus, kBadMagic, kSlow };

struct WorkerOptions {
  // How long the worker spins for the next request after answering one before
  // it sleeps on the futex: back-to-back calls then skip the wake-up syscall.
  std::int64_t spin_ns = 0;
  Fault fault = Fault::kNone;
};

// How long a kernel op stalls under Fault::kSlow: long enough for a test to
// kill the worker or interrupt the caller in the middle of the call.
inline constexpr std::int64_t kSlowFaultMs = 3000;

}  // namespace interop_bench::ipc
