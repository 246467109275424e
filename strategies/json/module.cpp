// interop_bench._native.ib_json: the JSON bridge with nlohmann/json.
#include "bridge/python_call.hpp"
#include "json_codec.hpp"

IB_SERIALIZATION_MODULE(ib_json, interop_bench::serialization::NlohmannJson,
                        "JSON messages decoded and encoded with nlohmann/json")
