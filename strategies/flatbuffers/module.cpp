// interop_bench._native.ib_flatbuffers: the FlatBuffers bridge (array.fbs).
#include "bridge/python_call.hpp"
#include "flatbuffers_codec.hpp"

IB_SERIALIZATION_MODULE(ib_flatbuffers, interop_bench::serialization::FlatBuffers,
                        "FlatBuffers messages (array.fbs), verified, read in place")
