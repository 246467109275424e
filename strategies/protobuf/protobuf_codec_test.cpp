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
      {request<TypeParam>(pb::SUM, {1}, {1}) + Bytes("\x78\x01", 2), "unknown field 15"},
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
  // Start-group tags of field 15, 50 deep: past our limit, within the default 100.
  Bytes message(50, '\x7b');
  message += Bytes(50, '\x7c');
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

// -- the dtype axis and the frame op ---------------------------------------------

// A Request (bytes) of `values`' own dtype, with an integer factor for scale.
template <class T>
Bytes bytes_request(pb::Op op, const std::vector<std::uint64_t>& shape,
                    const std::vector<T>& values, pb::DType dtype,
                    std::optional<std::int64_t> int_k = {}) {
  pb::Request message;
  message.set_op(op);
  for (const std::uint64_t dim : shape) message.add_shape(dim);
  message.set_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  message.set_dtype(dtype);
  if (int_k) message.set_int_k(*int_k);
  return message.SerializeAsString();
}

// The reply of `message` through Codec, parsed as a PackedReply (a Reply's
// scalar fields have the same numbers and types).
template <class Codec>
pb::PackedReply packed_reply(const Bytes& message) {
  typename Codec::Writer writer;
  ib::PhaseTimes times;
  ib::execute<Codec>(span_of(message), writer, times);
  pb::PackedReply parsed;
  EXPECT_TRUE(
      parsed.ParseFromArray(writer.bytes().data(), static_cast<int>(writer.bytes().size())));
  return parsed;
}

TEST(ProtobufBytes, ReadsEveryDtypeInPlaceAndRunsItsKernel) {
  const Bytes squares = bytes_request<std::int16_t>(pb::SQUARE, {2}, {300, -3}, pb::INT16);
  ib::Request decoded = ib::ProtobufBytes::decode(span_of(squares));
  EXPECT_EQ(decoded.dtype, interop_bench::DType::int16);
  EXPECT_TRUE(decoded.owned_values().empty());
  EXPECT_NE(decoded.decoded, nullptr);
  // int16 wraps around like NumPy: 300 * 300 = 24464 (mod 2^16); a float kernel would not.
  pb::Reply reply;
  typename ib::ProtobufBytes::Writer writer;
  ib::PhaseTimes times;
  ib::execute<ib::ProtobufBytes>(span_of(squares), writer, times);
  ASSERT_TRUE(reply.ParseFromArray(writer.bytes().data(), static_cast<int>(writer.bytes().size())));
  const std::vector<std::int16_t> expected = {24464, 9};
  EXPECT_EQ(reply.data(), std::string(reinterpret_cast<const char*>(expected.data()), 4));
  const pb::PackedReply sum = packed_reply<ib::ProtobufBytes>(
      bytes_request<std::uint8_t>(pb::SUM, {3}, {255, 255, 1}, pb::UINT8));
  EXPECT_TRUE(sum.has_uint_value() && !sum.has_value());
  EXPECT_EQ(sum.uint_value(), 511u);
  const pb::PackedReply negative = packed_reply<ib::ProtobufBytes>(
      bytes_request<std::int32_t>(pb::MATRIX_SUM, {1, 2}, {-5, 2}, pb::INT32));
  EXPECT_EQ(negative.int_value(), -3);
}

TEST(ProtobufBytes, RefusesAnUnknownDtypeAndAFloatFactorForIntegers) {
  Bytes unknown = bytes_request<double>(pb::SUM, {1}, {1}, static_cast<pb::DType>(9));
  EXPECT_NE(refusal<ib::ProtobufBytes>(unknown).find("unknown dtype code 9"), std::string::npos);
  Bytes negative = bytes_request<double>(pb::SUM, {1}, {1}, static_cast<pb::DType>(-2));
  EXPECT_NE(refusal<ib::ProtobufBytes>(negative).find("unknown dtype -2"), std::string::npos);
  pb::Request float_k;
  float_k.ParseFromString(bytes_request<std::int32_t>(pb::SCALE, {1}, {1}, pb::INT32));
  float_k.set_k(2.0);
  EXPECT_NE(refusal<ib::ProtobufBytes>(float_k.SerializeAsString()).find("does not fit int32"),
            std::string::npos);
}

TEST(ProtobufPacked, ReadsInt32InPlaceAndNarrowsInt16AndUint8) {
  pb::PackedRequest ints;
  ints.set_op(pb::SUM);
  ints.add_shape(2);
  ints.set_dtype(pb::INT32);
  ints.add_int32_values(-7);
  ints.add_int32_values(3);
  ib::Request in_place = ib::ProtobufPacked::decode(span_of(ints.SerializeAsString()));
  EXPECT_EQ(in_place.dtype, interop_bench::DType::int32);
  EXPECT_TRUE(in_place.owned_values().empty());  // in the parser's RepeatedField<int32>
  EXPECT_EQ(packed_reply<ib::ProtobufPacked>(ints.SerializeAsString()).int_value(), -4);
  pb::PackedRequest shorts = ints;
  shorts.clear_int32_values();
  shorts.set_dtype(pb::INT16);
  shorts.add_int16_values(-32768);
  shorts.add_int16_values(32767);
  ib::Request narrowed = ib::ProtobufPacked::decode(span_of(shorts.SerializeAsString()));
  EXPECT_EQ(narrowed.dtype, interop_bench::DType::int16);
  ASSERT_FALSE(narrowed.owned_values().empty());
  EXPECT_EQ(narrowed.values<std::int16_t>()[0], -32768);
  shorts.add_int16_values(32768);
  shorts.set_shape(0, 3);
  EXPECT_NE(refusal<ib::ProtobufPacked>(shorts.SerializeAsString())
                .find("int16_values[2] = 32768 does not fit int16"),
            std::string::npos);
}

TEST(ProtobufPacked, IntegerResultsAreVarintsInTheirField) {
  pb::PackedRequest frame;
  frame.set_op(pb::FRAME);
  frame.add_shape(1);
  frame.add_shape(2);
  frame.set_dtype(pb::UINT8);
  for (const std::uint32_t channel : {255, 255, 255, 255, 0, 0}) frame.add_uint8_values(channel);
  const pb::PackedReply gray = packed_reply<ib::ProtobufPacked>(frame.SerializeAsString());
  ASSERT_EQ(gray.uint8_values_size(), 2);
  EXPECT_EQ(gray.uint8_values(0), 255u);
  EXPECT_EQ(gray.uint8_values(1), (77u * 255 + 128) >> 8);
  EXPECT_EQ(gray.values_size(), 0);
  pb::PackedRequest squares;
  squares.set_op(pb::SQUARE);
  squares.add_shape(2);
  squares.set_dtype(pb::INT16);
  squares.add_int16_values(300);
  squares.add_int16_values(-3);
  const pb::PackedReply squared = packed_reply<ib::ProtobufPacked>(squares.SerializeAsString());
  ASSERT_EQ(squared.int16_values_size(), 2);
  EXPECT_EQ(squared.int16_values(0), 24464);
  EXPECT_EQ(squared.int16_values(1), 9);
}

}  // namespace
