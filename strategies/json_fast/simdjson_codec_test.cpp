#include "simdjson_codec.hpp"
#include "json_format_tests.hpp"  // strategies/json, through the bridge

namespace interop_bench::serialization::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Simdjson, JsonFormat, ::testing::Types<SimdJson>);
}  // namespace interop_bench::serialization::testing
