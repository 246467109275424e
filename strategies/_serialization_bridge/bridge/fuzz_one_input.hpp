// The body of every serialization fuzz target: any bytes through a codec's
// decoder, the kernel and its encoder. A MessageError is a correct refusal;
// anything else (another exception, a sanitizer report, a hang, an allocation
// past libFuzzer's -malloc_limit_mb) is a bug.
#pragma once

#include <cstddef>
#include <cstdint>

#include "execute.hpp"

namespace interop_bench::serialization {

template <class Codec>
int fuzz_one_input(const std::uint8_t* data, std::size_t size) {
  typename Codec::Writer writer;
  PhaseTimes times;
  try {
    execute<Codec>({data, size}, writer, times);
  } catch (const MessageError&) {
  }
  return 0;
}

}  // namespace interop_bench::serialization
