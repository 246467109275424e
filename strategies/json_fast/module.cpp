// interop_bench._native.ib_json_fast: the JSON bridge with simdjson + std::to_chars.
#include "bridge/python_call.hpp"
#include "simdjson_codec.hpp"

IB_SERIALIZATION_MODULE(ib_json_fast, interop_bench::serialization::SimdJson,
                        "JSON messages read with simdjson On-Demand, written with std::to_chars")
