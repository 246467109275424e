// The JSON message format's tests, run against every codec that claims it
// (nlohmann in json_codec_test.cpp, simdjson in ../json_fast). Instantiate with
//   INSTANTIATE_TYPED_TEST_SUITE_P(Name, JsonFormat, ::testing::Types<Codec>);
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "bridge/execute.hpp"

namespace interop_bench::serialization::testing {

inline std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// The reply to `message`, parsed back (codecs may spell numbers differently).
template <class Codec>
nlohmann::json run(const std::string& message) {
  typename Codec::Writer writer;
  PhaseTimes times;
  execute<Codec>(bytes_of(message), writer, times);
  const auto reply = writer.bytes();
  return nlohmann::json::parse(reply.begin(), reply.end());
}

// The text of the refusal of `message`, or "accepted".
template <class Codec>
std::string refusal(const std::string& message) {
  try {
    typename Codec::Writer writer;
    PhaseTimes times;
    execute<Codec>(bytes_of(message), writer, times);
  } catch (const MessageError& e) {
    return e.what();
  }
  return "accepted";
}

template <class Codec>
class JsonFormat : public ::testing::Test {};
TYPED_TEST_SUITE_P(JsonFormat);

TYPED_TEST_P(JsonFormat, DecodesAVectorRequestInAnyKeyOrder) {
  const Request r = TypeParam::decode(
      bytes_of(R"({"k": 2, "data": [1, -2.5, 3e2], "shape": [3], "op": "scale"})"));
  EXPECT_EQ(r.op, Op::scale);
  EXPECT_EQ(r.k, 2.0);
  ASSERT_EQ(r.data.size(), 3u);
  EXPECT_EQ(r.data[1], -2.5);
  EXPECT_EQ(r.data[2], 300.0);
  EXPECT_EQ(r.data.data(), r.owned.data());
}

TYPED_TEST_P(JsonFormat, RunsEveryOp) {
  using nlohmann::json;
  EXPECT_EQ(run<TypeParam>(R"({"op": "sum", "shape": [3], "data": [1, 2, 3.5]})"),
            json({{"value", 6.5}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "square", "shape": [2], "data": [-3, 0.5]})"),
            json({{"data", {9.0, 0.25}}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "matrix_sum", "shape": [2, 2], "data": [1, 2, 3, 4]})"),
            json({{"value", 10.0}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "scale", "shape": [2], "data": [1, 2], "k": 1.5})"),
            json({{"data", {1.5, 3.0}}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "sum", "shape": [0], "data": []})"), json({{"value", 0.0}}));
}

TYPED_TEST_P(JsonFormat, AnEmptyMatrixWithHugeRowsReturnsAtOnce) {
  // Regression (found by ib_fuzz_flatbuffers): 2^60 rows of 0 columns.
  EXPECT_EQ(
      run<TypeParam>(R"({"op": "matrix_sum", "shape": [1152921504606846976, 0], "data": []})"),
      nlohmann::json({{"value", 0.0}}));
}

TYPED_TEST_P(JsonFormat, RoundTripsDoublesExactly) {
  const double tricky[] = {0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308,
                           -2.2250738585072014e-308};
  for (const double value : tricky) {
    nlohmann::json message = {{"op", "scale"}, {"shape", {1}}, {"data", {value}}, {"k", 1.0}};
    EXPECT_EQ(run<TypeParam>(message.dump())["data"][0].template get<double>(), value);
  }
}

TYPED_TEST_P(JsonFormat, RefusesMalformedMessagesByName) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "invalid JSON"},
      {"[1, 2]", "must be an object"},
      {R"({"op": "cube", "shape": [1], "data": [1]})", "unknown op"},
      {R"({"op": "sum", "op": "sum"})", "twice"},
      {R"({"op": "sum", "shape": [2], "data": [1]})", "shape says 2"},
      {R"({"op": "sum", "shape": [1, 2, 3], "data": [1]})", "more than 2 dimensions"},
      {R"({"op": "matrix_sum", "shape": [1], "data": [1]})", "the op needs 2"},
      {R"({"op": "sum", "shape": [-1], "data": []})", "non-negative"},
      {R"({"op": "scale", "shape": [1], "data": [1]})", "needs k"},
      {R"({"op": "sum", "shape": [1], "data": [1], "k": 2})", "only allowed for scale"},
      {R"({"op": "sum", "shape": [1], "data": [1], "x": 0})", "unknown key"},
      {R"({"op": "sum", "shape": [1]})", "needs \"op\", \"shape\" and \"data\""},
  };
  for (const auto& [message, expected] : cases) {
    EXPECT_NE(refusal<TypeParam>(message).find(expected), std::string::npos)
        << message << " -> " << refusal<TypeParam>(message);
  }
}

TYPED_TEST_P(JsonFormat, RefusesWhatIsNotAFlatArrayOfNumbers) {
  for (const std::string data : {"[[1]]", "[null]", "[\"1\"]", "[true]", "[{}]", "{}", "1"}) {
    const std::string message = R"({"op": "sum", "shape": [1], "data": )" + data + "}";
    EXPECT_NE(refusal<TypeParam>(message).find("data"), std::string::npos) << message;
  }
}

TYPED_TEST_P(JsonFormat, RefusesTruncationAndTrailingText) {
  const std::string whole = R"({"op": "sum", "shape": [2], "data": [1, 2]})";
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_NE(refusal<TypeParam>(whole.substr(0, cut)), "accepted") << cut;
  }
  EXPECT_NE(refusal<TypeParam>(whole + " {}"), "accepted");
}

TYPED_TEST_P(JsonFormat, ALyingShapeDoesNotAllocateWhatItClaims) {
  // 2^60 elements claimed: the reserve is bounded by the message's size.
  EXPECT_NE(refusal<TypeParam>(R"({"op": "sum", "shape": [1152921504606846976], "data": [1]})")
                .find("shape says"),
            std::string::npos);
}

TYPED_TEST_P(JsonFormat, RefusesToEncodeNonFiniteResults) {
  EXPECT_NE(refusal<TypeParam>(R"({"op": "scale", "shape": [2], "data": [1, 1e308], "k": 10})")
                .find("result[1] is Inf"),
            std::string::npos);
  EXPECT_NE(refusal<TypeParam>(R"({"op": "sum", "shape": [2], "data": [1e308, 1e308]})")
                .find("result[0] is Inf"),
            std::string::npos);
}

REGISTER_TYPED_TEST_SUITE_P(JsonFormat, DecodesAVectorRequestInAnyKeyOrder, RunsEveryOp,
                            AnEmptyMatrixWithHugeRowsReturnsAtOnce, RoundTripsDoublesExactly,
                            RefusesMalformedMessagesByName, RefusesWhatIsNotAFlatArrayOfNumbers,
                            RefusesTruncationAndTrailingText,
                            ALyingShapeDoesNotAllocateWhatItClaims,
                            RefusesToEncodeNonFiniteResults);

}  // namespace interop_bench::serialization::testing
