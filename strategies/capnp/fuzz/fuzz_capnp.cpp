// libFuzzer target for both Cap'n Proto decoders (see bridge/fuzz_one_input.hpp):
// every input goes through the Data one and the List(Float64) one.
#include "bridge/fuzz_one_input.hpp"
#include "capnp_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ib = interop_bench::serialization;
  ib::fuzz_one_input<ib::CapnpData>(data, size);
  return ib::fuzz_one_input<ib::CapnpList>(data, size);
}
