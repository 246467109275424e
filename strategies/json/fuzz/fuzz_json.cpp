// libFuzzer target for the nlohmann/json decoder (see bridge/fuzz_one_input.hpp).
#include "bridge/fuzz_one_input.hpp"
#include "json_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return interop_bench::serialization::fuzz_one_input<interop_bench::serialization::NlohmannJson>(
      data, size);
}
