// The JSON message format's tests, run against every codec that claims it
// (nlohmann in json_codec_test.cpp, simdjson in ../json_fast). Messages are
// built with ordered_json: "dtype" must precede "data", and json sorts its keys.
// Instantiate with
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
  Request r = TypeParam::decode(bytes_of(
      R"({"k": 2, "dtype": "float64", "data": [1, -2.5, 3e2], "shape": [3], "op": "scale"})"));
  EXPECT_EQ(r.op, Op::scale);
  EXPECT_EQ(r.dtype, DType::float64);
  EXPECT_EQ(r.factor<double>(), 2.0);
  ASSERT_EQ(r.count(), 3u);
  EXPECT_EQ(r.values<double>()[1], -2.5);
  EXPECT_EQ(r.values<double>()[2], 300.0);
  EXPECT_EQ(r.data.data(), r.owned_values().data());
}

TYPED_TEST_P(JsonFormat, RunsEveryOp) {
  using nlohmann::json;
  EXPECT_EQ(
      run<TypeParam>(R"({"op": "sum", "shape": [3], "dtype": "float64", "data": [1, 2, 3.5]})"),
      json({{"value", 6.5}}));
  EXPECT_EQ(
      run<TypeParam>(R"({"op": "square", "shape": [2], "dtype": "float64", "data": [-3, 0.5]})"),
      json({{"dtype", "float64"}, {"data", {9.0, 0.25}}}));
  EXPECT_EQ(
      run<TypeParam>(
          R"({"op": "matrix_sum", "shape": [2, 2], "dtype": "float64", "data": [1, 2, 3, 4]})"),
      json({{"value", 10.0}}));
  EXPECT_EQ(run<TypeParam>(
                R"({"op": "scale", "shape": [2], "dtype": "float64", "data": [1, 2], "k": 1.5})"),
            json({{"dtype", "float64"}, {"data", {1.5, 3.0}}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "sum", "shape": [0], "dtype": "float64", "data": []})"),
            json({{"value", 0.0}}));
}

TYPED_TEST_P(JsonFormat, RunsTheKernelOfEachDtype) {
  using nlohmann::json;
  // int16 squares wrap around (200^2 = 40000 = -25536 mod 2^16), as NumPy's do.
  const json square = run<TypeParam>(
      R"({"op": "square", "shape": [3], "dtype": "int16", "data": [200, -3, 32767]})");
  EXPECT_EQ(square, json({{"dtype", "int16"}, {"data", {-25536, 9, 1}}}));
  EXPECT_TRUE(square["data"][0].is_number_integer());
  // uint8 sums are exact integers in 64 bits, not a uint8 that wraps.
  const json sum =
      run<TypeParam>(R"({"op": "sum", "shape": [3], "dtype": "uint8", "data": [255, 255, 7]})");
  EXPECT_EQ(sum, json({{"value", 517}}));
  EXPECT_TRUE(sum["value"].is_number_integer());
  // A sum of int32 past 2^53 stays exact (an integer never goes through a float).
  const json big = run<TypeParam>(
      R"({"op": "matrix_sum", "shape": [1, 2], "dtype": "int32", "data": [2147483647, -2147483648]})");
  EXPECT_EQ(big, json({{"value", -1}}));
  const json scaled = run<TypeParam>(
      R"({"op": "scale", "shape": [2], "dtype": "int32", "data": [1000000000, -7], "k": 3})");
  EXPECT_EQ(scaled, json({{"dtype", "int32"}, {"data", {-1294967296, -21}}}));
  // float32 computes in float32: 0.1f * 3.0f, not 0.1 * 3.
  const json f32 =
      run<TypeParam>(R"({"op": "scale", "shape": [1], "dtype": "float32", "data": [0.1], "k": 3})");
  EXPECT_EQ(f32["dtype"], "float32");
  EXPECT_EQ(f32["data"][0].template get<float>(), 0.1f * 3.0f);
  EXPECT_TRUE(
      run<TypeParam>(R"({"op": "sum", "shape": [1], "dtype": "float32", "data": [1]})")["value"]
          .is_number_float());
}

TYPED_TEST_P(JsonFormat, TurnsAFrameToGray) {
  // Two pixels: (10, 20, 30) and white; (77 R + 150 G + 29 B + 128) >> 8.
  const nlohmann::json gray = run<TypeParam>(
      R"({"op": "frame", "shape": [1, 2], "dtype": "uint8", "data": [10, 20, 30, 255, 255, 255]})");
  EXPECT_EQ(gray, nlohmann::json({{"dtype", "uint8"}, {"data", {18, 255}}}));
  EXPECT_EQ(run<TypeParam>(R"({"op": "frame", "shape": [0, 4], "dtype": "uint8", "data": []})"),
            nlohmann::json({{"dtype", "uint8"}, {"data", nlohmann::json::array()}}));
}

TYPED_TEST_P(JsonFormat, AnEmptyMatrixWithHugeRowsReturnsAtOnce) {
  // Regression (found by ib_fuzz_flatbuffers): 2^60 rows of 0 columns.
  EXPECT_EQ(
      run<TypeParam>(
          R"({"op": "matrix_sum", "shape": [1152921504606846976, 0], "dtype": "float64", "data": []})"),
      nlohmann::json({{"value", 0.0}}));
}

TYPED_TEST_P(JsonFormat, RoundTripsDoublesExactly) {
  const double tricky[] = {0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308,
                           -2.2250738585072014e-308};
  for (const double value : tricky) {
    nlohmann::ordered_json message = {
        {"op", "scale"}, {"shape", {1}}, {"dtype", "float64"}, {"data", {value}}, {"k", 1.0}};
    EXPECT_EQ(run<TypeParam>(message.dump())["data"][0].template get<double>(), value);
  }
}

TYPED_TEST_P(JsonFormat, RoundTripsFloat32sExactly) {
  const float tricky[] = {0.1f, 1.0f / 3.0f, 1e-45f, 3.4028235e38f, -1.17549435e-38f, 16777217.0f};
  for (const float value : tricky) {
    nlohmann::ordered_json message = {{"op", "scale"},
                                      {"shape", {1}},
                                      {"dtype", "float32"},
                                      {"data", {static_cast<double>(value)}},
                                      {"k", 1.0}};
    const double got = run<TypeParam>(message.dump())["data"][0].template get<double>();
    EXPECT_EQ(static_cast<float>(got), value);
  }
}

TYPED_TEST_P(JsonFormat, RefusesMalformedMessagesByName) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "invalid JSON"},
      {"[1, 2]", "must be an object"},
      {R"({"op": "cube", "shape": [1], "dtype": "float64", "data": [1]})", "unknown op"},
      {R"({"op": "sum", "op": "sum"})", "twice"},
      {R"({"op": "sum", "shape": [2], "dtype": "float64", "data": [1]})", "shape says 2"},
      {R"({"op": "sum", "shape": [1, 2, 3], "dtype": "float64", "data": [1]})",
       "more than 2 dimensions"},
      {R"({"op": "matrix_sum", "shape": [1], "dtype": "float64", "data": [1]})", "the op needs 2"},
      {R"({"op": "sum", "shape": [-1], "dtype": "float64", "data": []})", "non-negative"},
      {R"({"op": "scale", "shape": [1], "dtype": "float64", "data": [1]})", "needs k"},
      {R"({"op": "sum", "shape": [1], "dtype": "float64", "data": [1], "k": 2})",
       "only allowed for scale"},
      {R"({"op": "sum", "shape": [1], "dtype": "float64", "data": [1], "x": 0})", "unknown key"},
      {R"({"op": "sum", "shape": [1], "dtype": "float64"})", "needs \"op\", \"shape\", \"dtype\""},
      {R"({"op": "sum", "shape": [1], "data": [1]})", "\"dtype\" must come before \"data\""},
      {R"({"op": "sum", "shape": [1], "data": [1], "dtype": "float64"})", "must come before"},
      {R"({"op": "sum", "shape": [1], "dtype": "complex128", "data": [1]})", "unknown dtype"},
      {R"({"op": "sum", "shape": [1], "dtype": 7, "data": [1]})", "dtype"},
  };
  for (const auto& [message, expected] : cases) {
    EXPECT_NE(refusal<TypeParam>(message).find(expected), std::string::npos)
        << message << " -> " << refusal<TypeParam>(message);
  }
}

TYPED_TEST_P(JsonFormat, RefusesValuesThatDoNotFitTheDtype) {
  const std::string cases[] = {
      R"({"op": "sum", "shape": [1], "dtype": "uint8", "data": [256]})",
      R"({"op": "sum", "shape": [1], "dtype": "uint8", "data": [-1]})",
      R"({"op": "sum", "shape": [1], "dtype": "int16", "data": [32768]})",
      R"({"op": "sum", "shape": [1], "dtype": "int32", "data": [1.5]})",
      R"({"op": "sum", "shape": [1], "dtype": "int32", "data": [2.0]})",
      R"({"op": "sum", "shape": [1], "dtype": "int32", "data": [1e3]})",
      R"({"op": "sum", "shape": [1], "dtype": "int32", "data": [18446744073709551615]})",
      R"({"op": "sum", "shape": [1], "dtype": "float32", "data": [1e300]})",
  };
  for (const std::string& message : cases) {
    EXPECT_NE(refusal<TypeParam>(message).find("\"data\"[0]"), std::string::npos)
        << message << " -> " << refusal<TypeParam>(message);
  }
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "scale", "shape": [1], "dtype": "int16", "data": [1], "k": 1.5})")
                .find("k = 1.5"),
            std::string::npos);
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "scale", "shape": [1], "dtype": "uint8", "data": [1], "k": 256})")
                .find("uint8"),
            std::string::npos);
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "scale", "shape": [1], "dtype": "float32", "data": [1], "k": 1e300})")
                .find("k = 1e+300 does not fit float32"),
            std::string::npos);
}

TYPED_TEST_P(JsonFormat, RefusesHostileFrames) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"op": "frame", "shape": [1, 1], "dtype": "float64", "data": [1, 2, 3]})",
       "frame takes uint8"},
      {R"({"op": "frame", "shape": [1, 2], "dtype": "uint8", "data": [1, 2, 3, 4, 5]})",
       "shape says 6"},
      {R"({"op": "frame", "shape": [3], "dtype": "uint8", "data": [1, 2, 3]})", "the op needs 2"},
      // rows * cols fits 64 bits, rows * cols * 3 does not.
      {R"({"op": "frame", "shape": [4611686018427387904, 2], "dtype": "uint8", "data": []})",
       "overflows"},
  };
  for (const auto& [message, expected] : cases) {
    EXPECT_NE(refusal<TypeParam>(message).find(expected), std::string::npos)
        << message << " -> " << refusal<TypeParam>(message);
  }
}

TYPED_TEST_P(JsonFormat, RefusesWhatIsNotAFlatArrayOfNumbers) {
  for (const std::string data : {"[[1]]", "[null]", "[\"1\"]", "[true]", "[{}]", "{}", "1"}) {
    const std::string message =
        R"({"op": "sum", "shape": [1], "dtype": "float64", "data": )" + data + "}";
    EXPECT_NE(refusal<TypeParam>(message).find("data"), std::string::npos) << message;
  }
}

TYPED_TEST_P(JsonFormat, RefusesTruncationAndTrailingText) {
  const std::string whole = R"({"op": "sum", "shape": [2], "dtype": "int16", "data": [1, 2]})";
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_NE(refusal<TypeParam>(whole.substr(0, cut)), "accepted") << cut;
  }
  EXPECT_NE(refusal<TypeParam>(whole + " {}"), "accepted");
}

TYPED_TEST_P(JsonFormat, ALyingShapeDoesNotAllocateWhatItClaims) {
  // 2^60 elements claimed: the reserve is bounded by the message's size.
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "sum", "shape": [1152921504606846976], "dtype": "uint8", "data": [1]})")
                .find("shape says"),
            std::string::npos);
}

TYPED_TEST_P(JsonFormat, RefusesToEncodeNonFiniteResults) {
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "scale", "shape": [2], "dtype": "float64", "data": [1, 1e308], "k": 10})")
                .find("result[1] is Inf"),
            std::string::npos);
  EXPECT_NE(refusal<TypeParam>(
                R"({"op": "sum", "shape": [2], "dtype": "float64", "data": [1e308, 1e308]})")
                .find("result[0] is Inf"),
            std::string::npos);
  EXPECT_NE(
      refusal<TypeParam>(R"({"op": "square", "shape": [1], "dtype": "float32", "data": [1e30]})")
          .find("result[0] is Inf"),
      std::string::npos);
}

REGISTER_TYPED_TEST_SUITE_P(JsonFormat, DecodesAVectorRequestInAnyKeyOrder, RunsEveryOp,
                            RunsTheKernelOfEachDtype, TurnsAFrameToGray,
                            AnEmptyMatrixWithHugeRowsReturnsAtOnce, RoundTripsDoublesExactly,
                            RoundTripsFloat32sExactly, RefusesMalformedMessagesByName,
                            RefusesValuesThatDoNotFitTheDtype, RefusesHostileFrames,
                            RefusesWhatIsNotAFlatArrayOfNumbers, RefusesTruncationAndTrailingText,
                            ALyingShapeDoesNotAllocateWhatItClaims,
                            RefusesToEncodeNonFiniteResults);

}  // namespace interop_bench::serialization::testing
