// The kernel core's one test hook: a call to `ib_test_kernel_entered` at the
// entry of every public kernel, when something defines it.
//
// Why: a test of whether a binding releases the GIL around its kernel must be
// decided by an event, not by whether another thread happens to be scheduled
// during a call. python/tests/native/gil_gate.c defines the hook, and the
// test suite loads it (RTLD_GLOBAL) before any module that links this core:
// the kernel then waits until a thread that needs the GIL has run, or times
// out a bounded wait when the caller holds the GIL.
//
// The symbol is weak and undefined here, so in every production process it
// resolves to null and costs one predictable branch per kernel call (never
// per element). Default visibility: the modules are built with hidden
// visibility, and a hidden weak reference would be bound to null at link time
// instead of by the dynamic linker.
#pragma once

extern "C" __attribute__((weak, visibility("default"))) void ib_test_kernel_entered() noexcept;

namespace interop_bench::kernels {

inline void announce_entry() noexcept {
  if (ib_test_kernel_entered != nullptr) ib_test_kernel_entered();
}

}  // namespace interop_bench::kernels
