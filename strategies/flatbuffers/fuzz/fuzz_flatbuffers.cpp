// libFuzzer target for the FlatBuffers verifier + reader decoder (see bridge/fuzz_one_input.hpp).
#include "bridge/fuzz_one_input.hpp"
#include "flatbuffers_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return interop_bench::serialization::fuzz_one_input<interop_bench::serialization::FlatBuffers>(
      data, size);
}
