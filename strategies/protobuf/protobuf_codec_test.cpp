#include "protobuf_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bridge/execute.hpp"
#include "protobuf_array.pb.h"

namespace ib = interop_bench::serialization;
namespace pb = interop_bench::pb;

namespace {

using Bytes = std::string;

std::span<const std::uint8_t> span_of(const Bytes& bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

void set_values(pb::Request& message, const std::vector<double>& values) {
  message.set_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)));
}

void set_values(pb::PackedRequest& message, const std::vector<double>& values) {
  message.mutable_values()->Add(values.begin(), values.end());
}

// A serialized Request (ProtobufBytes) or PackedRequest (ProtobufPacked).
template <class Codec>
Bytes request(pb::Op op, const std::vector<std::uint64_t>& shape, const std::vector<double>& values,
              std::optional<double> k = std::nullopt) {
  std::conditional_t<std::is_same_v<Codec, ib::ProtobufBytes>, pb::Request, pb::PackedRequest>
      message;
  message.set_op(op);
  for (const std::uint64_t dim : shape) message.add_shape(dim);
  set_values(message, values);
  if (k) message.set_k(*k);
  return message.SerializeAsString();
}

// The reply's answer, parsed back with the generated Reply or PackedReply.
template <class Codec>
std::vector<double> run(const Bytes& message) {
  typename Codec::Writer writer;
  ib::PhaseTimes times;
  ib::execute<Codec>(span_of(message), writer, times);
  const auto reply = writer.bytes();
  if constexpr (std::is_same_v<Codec, ib::ProtobufBytes>) {
    pb::Reply parsed;
    EXPECT_TRUE(parsed.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    if (parsed.has_value()) return {parsed.value()};
    std::vector<double> values(parsed.data().size() / sizeof(double));
    if (!values.empty()) std::memcpy(values.data(), parsed.data().data(), parsed.data().size());
    return values;
  } else {
    pb::PackedReply parsed;
    EXPECT_TRUE(parsed.ParseFromArray(reply.data(), static_cast<int>(reply.size())));
    if (parsed.has_value()) return {parsed.value()};
    return {parsed.values().begin(), parsed.values().end()};
  }
}

template <class Codec>
std::string refusal(std::span<const std::uint8_t> message) {
  try {
    Codec::decode(message);
  } catch (const ib::MessageError& e) {
    return e.what();
  }
  return "accepted";
}

template <class Codec>
std::string refusal(const Bytes& message) {
  return refusal<Codec>(span_of(message));
}

template <class Codec>
class ProtobufFormat : public ::testing::Test {};
using Codecs = ::testing::Types<ib::ProtobufBytes, ib::ProtobufPacked>;
TYPED_TEST_SUITE(ProtobufFormat, Codecs);

TYPED_TEST(ProtobufFormat, RunsEveryOp) {
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SUM, {3}, {1, 2, 3.5})),
            std::vector<double>{6.5});
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SQUARE, {2}, {-3, 0.5})),
            (std::vector<double>{9, 0.25}));
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::MATRIX_SUM, {2, 2}, {1, 2, 3, 4})),
            std::vector<double>{10});
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SCALE, {2}, {1, 2}, 1.5)),
            (std::vector<double>{1.5, 3}));
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SUM, {0}, {})), std::vector<double>{0});
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SCALE, {0}, {}, 2.0)), std::vector<double>{});
}

TYPED_TEST(ProtobufFormat, CarriesNanInfAndNegativeZeroUnchanged) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::SQUARE, {2}, {-inf, 5e-324})),
            (std::vector<double>{inf, 0.0}));
  EXPECT_TRUE(std::isnan(run<TypeParam>(request<TypeParam>(pb::SUM, {1}, {NAN}))[0]));
  const auto reply = run<TypeParam>(request<TypeParam>(pb::SCALE, {1}, {0.0}, -1.0));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_TRUE(std::signbit(reply[0]));
}

TYPED_TEST(ProtobufFormat, ReadsTheValuesWhereTheParserPutThem) {
  ib::Request decoded = TypeParam::decode(span_of(request<TypeParam>(pb::SUM, {3}, {1, 2, 3})));
  EXPECT_TRUE(decoded.owned_values().empty());
  EXPECT_NE(decoded.decoded, nullptr);
  EXPECT_EQ(decoded.values<double>()[2], 3.0);
}

TYPED_TEST(ProtobufFormat, RefusesMalformedMessagesByName) {
  const std::pair<Bytes, std::string> cases[] = {
      {request<TypeParam>(pb::OP_UNSPECIFIED, {1}, {1}), "needs an op"},
      {request<TypeParam>(static_cast<pb::Op>(9), {1}, {1}), "unknown op 9"},
      {request<TypeParam>(pb::SUM, {2}, {1}), "shape says 2"},
      {request<TypeParam>(pb::SUM, {}, {1}), "shape has 0 dimension(s)"},
      {request<TypeParam>(pb::SUM, {1, 2, 3}, {1}), "more than 2 dimensions"},
      {request<TypeParam>(pb::MATRIX_SUM, {1}, {1}), "the op needs 2"},
      {request<TypeParam>(pb::SCALE, {1}, {1}), "needs k"},
      {request<TypeParam>(pb::SUM, {1}, {1}, 2.0), "only allowed for scale"},
      {request<TypeParam>(pb::SUM, {1}, {1}) + Bytes("\x28\x01", 2), "unknown field 5"},
      {Bytes("\xff", 1), "not a valid"},
  };
  for (const auto& [message, expected] : cases) {
    const std::string got = refusal<TypeParam>(message);
    EXPECT_NE(got.find(expected), std::string::npos) << expected << " -> " << got;
  }
}

TEST(ProtobufBytes, RefusesDataThatIsNotWholeDoubles) {
  pb::Request message;
  message.set_op(pb::SUM);
  message.add_shape(1);
  message.set_data(std::string(9, '\0'));
  EXPECT_NE(refusal<ib::ProtobufBytes>(message.SerializeAsString()).find("9 bytes, not a whole"),
            std::string::npos);
}

TEST(ProtobufPacked, AcceptsTheUnpackedEncodingTheBytesFieldCannotHold) {
  // Parsers of a repeated double accept either encoding (the protobuf spec);
  // field 3 as fixed64 values is no bytes field.
  Bytes message("\x08\x01\x12\x01\x02", 5);
  for (const double value : {1.0, 2.5}) {
    message += '\x19';
    message += Bytes(reinterpret_cast<const char*>(&value), sizeof value);
  }
  EXPECT_EQ(run<ib::ProtobufPacked>(message), std::vector<double>{3.5});
  EXPECT_NE(refusal<ib::ProtobufBytes>(message).find("unknown field 3 (or one of the wrong wire"),
            std::string::npos);
}

TYPED_TEST(ProtobufFormat, RefusesEveryTruncation) {
  // k is serialized last: a cut anywhere loses a field, a length or a value.
  const Bytes whole = request<TypeParam>(pb::SCALE, {2}, {1, 2}, 3.0);
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_NE(refusal<TypeParam>(whole.substr(0, cut)), "accepted") << cut;
  }
}

TYPED_TEST(ProtobufFormat, HugeDeclaredLengthsAreRefusedBeforeAllocating) {
  // Field 3 (bytes or packed doubles) claiming 2^31 - 9 bytes, followed by 8.
  Bytes message("\x08\x01\x12\x01\x01\x1a\xf7\xff\xff\xff\x07", 11);
  message += Bytes(8, '\0');
  EXPECT_NE(refusal<TypeParam>(message).find("not a valid"), std::string::npos);
}

TYPED_TEST(ProtobufFormat, RefusesAMessageLargerThanProtobufParses) {
  // Never read: the size alone is refused.
  const std::uint8_t byte = 0;
  const std::span<const std::uint8_t> huge(&byte, std::size_t{1} << 31);
  EXPECT_NE(refusal<TypeParam>(huge).find("larger than protobuf parses"), std::string::npos);
}

TYPED_TEST(ProtobufFormat, DeeplyNestedUnknownGroupsAreRefused) {
  // Start-group tags of field 5, 50 deep: past our limit, within the default 100.
  Bytes message(50, '\x2b');
  message += Bytes(50, '\x2c');
  EXPECT_NE(refusal<TypeParam>(message).find("nested too deep"), std::string::npos);
}

TYPED_TEST(ProtobufFormat, AnEmptyMatrixWithHugeRowsReturnsAtOnce) {
  EXPECT_EQ(run<TypeParam>(request<TypeParam>(pb::MATRIX_SUM, {std::uint64_t{1} << 60, 0}, {})),
            std::vector<double>{0});
}

TYPED_TEST(ProtobufFormat, TheArrayReplyBodyIsAligned) {
  typename TypeParam::Writer writer;
  ib::PhaseTimes times;
  ib::execute<TypeParam>(span_of(request<TypeParam>(pb::SQUARE, {3}, {1, 2, 3})), writer, times);
  const auto reply = writer.bytes();
  ASSERT_EQ(reply.size(), 2u + 24u);  // tag, length, 3 doubles
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(reply.data() + 2) % alignof(double), 0u);
}

}  // namespace
