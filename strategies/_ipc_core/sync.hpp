// Waking and waiting on a 32-bit sequence word shared by two processes: spin a
// bounded time, then sleep in the kernel (futex) in bounded slices so that the
// caller can check that its peer is still alive.
#pragma once

#include <cstdint>

namespace interop_bench::ipc {

enum class WaitResult : int { kChanged = 0, kTimedOut = 1 };

// Spin (with a pause per look) until `*word` differs from `last` or `spin_ns`
// have passed; true when it changed (acquire, as for wait_for_change). Never
// sleeps, so a caller that holds a lock (the GIL) holds it at most `spin_ns`.
bool spin_until_change(std::uint32_t* word, std::uint32_t last, std::int64_t spin_ns) noexcept;

// Wait until `*word` differs from `last`, spinning up to `spin_ns` first, then
// sleeping on the futex for at most `timeout_ns` (a signal also ends the
// sleep). `*waiting` is set to 1 while sleeping so that the publisher knows a
// wake is needed. The load that sees the change has acquire semantics: what the
// publisher wrote before publishing is visible afterwards.
WaitResult wait_for_change(std::uint32_t* word, std::uint32_t last, std::uint32_t* waiting,
                           std::int64_t spin_ns, std::int64_t timeout_ns) noexcept;

// Store `value` into `*word` (release, and seq_cst against `*waiting`), and wake
// the peer if it sleeps on `word`.
void publish(std::uint32_t* word, std::uint32_t value, std::uint32_t* waiting) noexcept;

// An acquire load of a word the peer publishes.
std::uint32_t load_acquire(std::uint32_t* word) noexcept;

}  // namespace interop_bench::ipc
