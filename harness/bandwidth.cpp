#include "bandwidth.hpp"

#include <array>

// Compiled for AVX2 and the x86-64 baseline, picked at load time, as the
// kernels are (kernels/kernels.cpp): a probe that only had SSE2 while the sum
// kernel had AVX2 read 12% slower than the kernel it is meant to bound.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define IB_PROBE __attribute__((target_clones("avx2", "default")))
#else
#define IB_PROBE
#endif

namespace interop_bench::harness {

IB_PROBE std::uint64_t read_all(const std::uint64_t* words, std::size_t count) noexcept {
  // Sixteen independent chains, as many as the sum kernel's lanes, so both are
  // given the same chance to keep the load ports busy.
  constexpr std::size_t kLanes = 16;
  std::array<std::uint64_t, kLanes> acc{};
  std::size_t i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) acc[lane] |= words[i + lane];
  }
  std::uint64_t tail = 0;
  for (; i < count; ++i) tail |= words[i];
  for (std::size_t lane = 0; lane < kLanes; ++lane) tail |= acc[lane];
  return tail;
}

}  // namespace interop_bench::harness
