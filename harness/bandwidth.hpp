// Roofline probes that do not use the kernel core, so the kernels can be
// judged against them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace interop_bench::harness {

// Reads every byte of `words` and returns their bitwise OR. Integer ORs have a
// one-cycle latency and never round, so this loop is limited by loads alone:
// the machine's read bandwidth.
std::uint64_t read_all(const std::uint64_t* words, std::size_t count) noexcept;

}  // namespace interop_bench::harness
