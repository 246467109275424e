#include "json_codec.hpp"
#include "bridge/json_format_tests.hpp"

namespace interop_bench::serialization::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Nlohmann, JsonFormat, ::testing::Types<NlohmannJson>);
}  // namespace interop_bench::serialization::testing
