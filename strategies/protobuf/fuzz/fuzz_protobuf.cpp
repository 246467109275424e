// libFuzzer target for both protobuf decoders (see bridge/fuzz_one_input.hpp):
// every input goes through the bytes codec and the packed codec, which share
// the parse limits, op, shape and k handling and differ only in field 3.
#include "bridge/fuzz_one_input.hpp"
#include "protobuf_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace ib = interop_bench::serialization;
  ib::fuzz_one_input<ib::ProtobufBytes>(data, size);
  return ib::fuzz_one_input<ib::ProtobufPacked>(data, size);
}
