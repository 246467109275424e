// interop_bench._native.ib_protobuf: protobuf with the values as one bytes field.
#include "bridge/python_call.hpp"
#include "protobuf_codec.hpp"

IB_SERIALIZATION_MODULE(
    ib_protobuf, interop_bench::serialization::ProtobufBytes,
    "protobuf messages (protobuf_array.proto), values as bytes of float64 (libprotobuf)")
