// interop_bench._native.ib_msgpack: MessagePack with the values as one bin.
#include "bridge/python_call.hpp"
#include "msgpack_codec.hpp"

IB_SERIALIZATION_MODULE(ib_msgpack, interop_bench::serialization::MsgpackBin,
                        "MessagePack messages, values as a bin of float64 bytes (msgpack-c++)")
