// When an in-process binding releases the GIL around a kernel, the same for every binding.
#pragma once

#include <cstddef>

namespace interop_bench::binding {

// Release the GIL only for arrays of at least this many elements (256 KiB of
// float64). Releasing and re-taking it costs a fraction of a microsecond when
// no other thread waits, but when one does, the release hands the GIL over and
// taking it back can wait up to the interpreter's switch interval (5 ms): for a
// kernel of a few microseconds that is a loss for the caller and no real gain
// for the other thread. From 32 Ki elements on, the kernel runs for tens of
// microseconds, the release is under 1 % of the call, and other Python threads
// run in parallel with it.
inline constexpr std::size_t kReleaseGilMinElements = std::size_t{1} << 15;

// Run `kernel()` over `elements` elements, holding a `GilRelease` (the binding's
// RAII type that releases the GIL) around it when the array is large.
template <class GilRelease, class Kernel>
decltype(auto) run_kernel(std::size_t elements, Kernel&& kernel) {
  if (elements < kReleaseGilMinElements) return kernel();
  GilRelease released;
  return kernel();
}

}  // namespace interop_bench::binding
