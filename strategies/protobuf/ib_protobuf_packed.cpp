// interop_bench._native.ib_protobuf_packed: protobuf with the values as a packed repeated double.
#include "bridge/python_call.hpp"
#include "protobuf_codec.hpp"

IB_SERIALIZATION_MODULE(
    ib_protobuf_packed, interop_bench::serialization::ProtobufPacked,
    "protobuf messages (protobuf_array.proto), values as packed doubles (libprotobuf)")
