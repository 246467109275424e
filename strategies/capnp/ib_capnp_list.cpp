// interop_bench._native.ib_capnp_list: Cap'n Proto with the values as a List(Float64).
#include "bridge/python_call.hpp"
#include "capnp_codec.hpp"

IB_SERIALIZATION_MODULE(ib_capnp_list, interop_bench::serialization::CapnpList,
                        "Cap'n Proto messages (array.capnp), values as a List(Float64)")
