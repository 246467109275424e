#include "bandwidth.hpp"

namespace interop_bench::harness {

std::uint64_t read_all(const std::uint64_t* words, std::size_t count) noexcept {
  // Eight independent chains, as in the sum kernel, so both are given the same
  // chance to keep the load ports busy.
  std::uint64_t acc[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    for (std::size_t lane = 0; lane < 8; ++lane) acc[lane] |= words[i + lane];
  }
  for (; i < count; ++i) acc[0] |= words[i];
  return (acc[0] | acc[1] | acc[2] | acc[3]) | (acc[4] | acc[5] | acc[6] | acc[7]);
}

}  // namespace interop_bench::harness
