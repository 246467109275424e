// interop_bench._native.ib_msgpack_list: MessagePack with the values as an array of floats.
#include "bridge/python_call.hpp"
#include "msgpack_codec.hpp"

IB_SERIALIZATION_MODULE(ib_msgpack_list, interop_bench::serialization::MsgpackList,
                        "MessagePack messages, values as an array of floats (msgpack-c++)")
