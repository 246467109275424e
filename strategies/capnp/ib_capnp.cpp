// interop_bench._native.ib_capnp: Cap'n Proto with the values as one Data, read in place.
#include "bridge/python_call.hpp"
#include "capnp_codec.hpp"

IB_SERIALIZATION_MODULE(ib_capnp, interop_bench::serialization::CapnpData,
                        "Cap'n Proto messages (array.capnp), values as a Data read in place")
