// libFuzzer target for both msgpack decoders (see bridge/fuzz_one_input.hpp):
// every input goes through the bin codec and the list codec, which share the
// map, key and shape handling and differ only in how they read "data".
#include "bridge/fuzz_one_input.hpp"
#include "msgpack_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ib = interop_bench::serialization;
  ib::fuzz_one_input<ib::MsgpackBin>(data, size);
  return ib::fuzz_one_input<ib::MsgpackList>(data, size);
}
