// What the native side of a binding last wrote scale's result to, and how many
// result buffers it allocated are still alive: what the tests read to check a
// "zero-copy out" claim by address and a capsule's lifetime by count, natively
// (as nanobind's own tests count destructors), instead of inferring either
// from Python. No Python here: the C ABI library (strategies/_c_abi) uses it.
//
// Each extension module or shared library links its own copy (hidden
// visibility), so the numbers are per module, as the tests want them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace interop_bench::binding {

inline std::atomic<std::uintptr_t> last_result{0};
inline std::atomic<std::ptrdiff_t> result_buffers_alive{0};

// The kernel is about to write scale's result to `out`.
inline void note_result(const void* out) noexcept {
  last_result.store(reinterpret_cast<std::uintptr_t>(out), std::memory_order_relaxed);
}

inline std::uintptr_t last_result_address() noexcept {
  return last_result.load(std::memory_order_relaxed);
}

}  // namespace interop_bench::binding
