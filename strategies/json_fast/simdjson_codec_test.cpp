#include "simdjson_codec.hpp"
#include "bridge/json_format_tests.hpp"

namespace interop_bench::serialization::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Simdjson, JsonFormat, ::testing::Types<SimdJson>);
}  // namespace interop_bench::serialization::testing
