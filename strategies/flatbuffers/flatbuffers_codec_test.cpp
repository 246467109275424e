#include "flatbuffers_codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "array_generated.h"
#include "bridge/execute.hpp"

namespace ib = interop_bench::serialization;
namespace fbs = interop_bench::fbs;

namespace {

// A finished Request buffer, copied into 8-aligned storage.
struct Message {
  std::vector<std::uint64_t> storage;  // uint64 keeps the bytes 8-aligned
  std::size_t size = 0;
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(storage.data()), size};
  }
  std::uint8_t* mutable_bytes() { return reinterpret_cast<std::uint8_t*>(storage.data()); }
};

// The finished buffer of `builder`, copied.
Message copied(const flatbuffers::FlatBufferBuilder& builder) {
  Message message;
  message.size = builder.GetSize();
  message.storage.resize(message.size / 8 + 1);
  std::memcpy(message.mutable_bytes(), builder.GetBufferPointer(), message.size);
  return message;
}

Message request(fbs::Op op, const std::vector<std::uint64_t>& shape,
                const std::vector<double>& data, double k = 0.0) {
  flatbuffers::FlatBufferBuilder builder;
  const auto request = fbs::CreateRequestDirect(builder, op, &shape, &data, k);
  builder.Finish(request, fbs::RequestIdentifier());
  return copied(builder);
}

// The Request field of T's typed vector.
template <class T>
constexpr flatbuffers::voffset_t typed_field() {
  if constexpr (std::is_same_v<T, double>) return fbs::Request::VT_DATA;
  if constexpr (std::is_same_v<T, float>) return fbs::Request::VT_DATA_F32;
  if constexpr (std::is_same_v<T, std::int32_t>) return fbs::Request::VT_DATA_I32;
  if constexpr (std::is_same_v<T, std::int16_t>) return fbs::Request::VT_DATA_I16;
  if constexpr (std::is_same_v<T, std::uint8_t>) return fbs::Request::VT_DATA_U8;
}

// A Request whose values are in the typed vector of T (data_i16, ...).
template <class T>
Message typed_request(fbs::Op op, const std::vector<std::uint64_t>& shape,
                      const std::vector<T>& values, std::optional<std::int64_t> int_k = {},
                      std::optional<double> k = {}) {
  flatbuffers::FlatBufferBuilder builder;
  const auto data = builder.CreateVector(values);
  const auto dims = builder.CreateVector(shape);
  fbs::RequestBuilder table(builder);
  table.add_op(op);
  table.add_shape(dims);
  builder.AddOffset(typed_field<T>(), data);
  if (int_k) table.add_int_k(*int_k);
  if (k) table.add_k(*k);
  builder.Finish(table.Finish(), fbs::RequestIdentifier());
  return copied(builder);
}

const fbs::Reply* run(const Message& message, ib::FlatBuffers::Writer& writer) {
  ib::PhaseTimes times;
  ib::execute<ib::FlatBuffers>(message.bytes(), writer, times);
  return flatbuffers::GetRoot<fbs::Reply>(writer.bytes().data());
}

std::string refusal(std::span<const std::uint8_t> bytes) {
  try {
    ib::FlatBuffers::decode(bytes);
  } catch (const ib::MessageError& e) {
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(FlatBuffers, ReadsTheValuesInPlace) {
  const Message message = request(fbs::Op::Scale, {3}, {1.0, -2.5, 300.0}, 2.0);
  ib::Request r = ib::FlatBuffers::decode(message.bytes());
  EXPECT_EQ(r.op, ib::Op::scale);
  EXPECT_EQ(std::get<double>(r.k), 2.0);
  ASSERT_EQ(r.count(), 3u);
  EXPECT_EQ(r.values<double>()[1], -2.5);
  EXPECT_GE(reinterpret_cast<const std::uint8_t*>(r.data.data()), message.bytes().data());
  EXPECT_LT(reinterpret_cast<const std::uint8_t*>(r.data.data()),
            message.bytes().data() + message.size);
  EXPECT_TRUE(r.owned_values().empty());
}

TEST(FlatBuffers, RunsEveryOp) {
  ib::FlatBuffers::Writer w1, w2, w3, w4;
  EXPECT_EQ(run(request(fbs::Op::Sum, {3}, {1, 2, 3.5}), w1)->value(), 6.5);
  EXPECT_EQ(run(request(fbs::Op::MatrixSum, {2, 2}, {1, 2, 3, 4}), w2)->value(), 10.0);
  const auto* squared = run(request(fbs::Op::Square, {2}, {-3, 0.5}), w3)->data();
  ASSERT_EQ(squared->size(), 2u);
  EXPECT_EQ(squared->Get(0), 9.0);
  EXPECT_EQ(squared->Get(1), 0.25);
  const auto* scaled = run(request(fbs::Op::Scale, {2}, {1, 2}, 1.5), w4)->data();
  EXPECT_EQ(scaled->Get(1), 3.0);
}

TEST(FlatBuffers, AnEmptyMatrixWithHugeRowsReturnsAtOnce) {
  // Regression (found by ib_fuzz_flatbuffers): 2^57 rows of 0 columns.
  ib::FlatBuffers::Writer writer;
  EXPECT_EQ(run(request(fbs::Op::MatrixSum, {1ull << 57, 0}, {}), writer)->value(), 0.0);
}

TEST(FlatBuffers, CarriesNaNAndInf) {
  ib::FlatBuffers::Writer writer;
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(run(request(fbs::Op::Sum, {2}, {1.0, inf}), writer)->value(), inf);
}

TEST(FlatBuffers, RefusesEveryTruncation) {
  const Message whole = request(fbs::Op::Sum, {4}, {1, 2, 3, 4});
  for (std::size_t cut = 0; cut < whole.size; ++cut) {
    EXPECT_NE(refusal(whole.bytes().first(cut)), "accepted") << cut;
  }
}

TEST(FlatBuffers, RefusesAVectorLongerThanTheBuffer) {
  Message message = request(fbs::Op::Sum, {4}, {1, 2, 3, 4});
  const auto* root = fbs::GetRequest(message.bytes().data());
  const auto length_at =
      reinterpret_cast<const std::uint8_t*>(root->data()) - message.bytes().data();
  const std::uint32_t huge = 1u << 28;  // 2 GiB of doubles
  std::memcpy(message.mutable_bytes() + length_at, &huge, sizeof huge);
  EXPECT_NE(refusal(message.bytes()).find("verification failed"), std::string::npos);
}

TEST(FlatBuffers, RefusesARootOffsetOutOfRange) {
  Message message = request(fbs::Op::Sum, {1}, {1});
  const std::uint32_t far = 0x7ffffff0u;
  std::memcpy(message.mutable_bytes(), &far, sizeof far);
  EXPECT_NE(refusal(message.bytes()).find("verification failed"), std::string::npos);
}

TEST(FlatBuffers, RefusesRandomBytesAndAWrongIdentifier) {
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> noise(64);
  for (int trial = 0; trial < 200; ++trial) {
    for (auto& word : noise) word = random();
    EXPECT_NE(refusal({reinterpret_cast<const std::uint8_t*>(noise.data()), 512}), "accepted");
  }
  Message message = request(fbs::Op::Sum, {1}, {1});
  message.mutable_bytes()[4] = 'X';
  EXPECT_NE(refusal(message.bytes()), "accepted");
}

TEST(FlatBuffers, RefusesMisalignedBuffers) {
  const Message message = request(fbs::Op::Sum, {1}, {1});
  std::vector<std::uint64_t> shifted(message.storage.size() + 1);
  auto* start = reinterpret_cast<std::uint8_t*>(shifted.data()) + 4;
  std::memcpy(start, message.bytes().data(), message.size);
  EXPECT_NE(refusal({start, message.size}).find("not 8-byte aligned"), std::string::npos);
}

TEST(FlatBuffers, RefusesVectorsOfDoublesThatAreOnly4ByteAligned) {
  // Regression (found by ib_fuzz_flatbuffers): the 2.0.8 verifier accepts a
  // [ulong] vector at a 4-byte boundary; reading it is undefined behaviour.
  const std::uint8_t bytes[] = {
      0x14, 0x0,  0x0,  0x0, 0x49, 0x42, 0x41, 0x52, 0xc,  0x0,  0x18, 0x0,  0x17, 0x0, 0x10,
      0x0,  0xc,  0x0,  0x4, 0x0,  0xc,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0, 0x0,
      0xfc, 0x3f, 0x1c, 0x0, 0x0,  0x0,  0xc,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x3, 0x1,
      0x0,  0x0,  0x0,  0x3, 0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0x0, 0x0,
      0x3,  0x0,  0x0,  0x0, 0x0,  0x0,  0x0,  0x0,  0x0,  0x0,  0xf0, 0x3f, 0x0,  0x0, 0x0,
      0x0,  0x0,  0x0,  0x0, 0x40, 0x9c, 0x75, 0x0,  0x88, 0x3c, 0xe4, 0x37, 0x7e};
  std::vector<std::uint64_t> aligned(sizeof bytes / 8 + 1);
  std::memcpy(aligned.data(), bytes, sizeof bytes);
  EXPECT_NE(refusal({reinterpret_cast<const std::uint8_t*>(aligned.data()), sizeof bytes})
                .find("vector is not 8-byte aligned"),
            std::string::npos);
}

TEST(FlatBuffers, RefusesWrongShapesAndOps) {
  EXPECT_NE(refusal(request(fbs::Op::Sum, {5}, {1}).bytes()).find("shape says 5"),
            std::string::npos);
  EXPECT_NE(refusal(request(fbs::Op::MatrixSum, {1ull << 31, 1ull << 31}, {1}).bytes())
                .find("shape says"),
            std::string::npos);
  EXPECT_NE(
      refusal(request(fbs::Op::MatrixSum, {1ull << 60, 1ull << 60}, {1}).bytes()).find("overflows"),
      std::string::npos);
  EXPECT_NE(refusal(request(static_cast<fbs::Op>(9), {1}, {1}).bytes()).find("unknown op 9"),
            std::string::npos);
  EXPECT_NE(refusal(request(fbs::Op::Sum, {1}, {1}, 2.0).bytes()).find("only allowed for scale"),
            std::string::npos);
}

// -- the dtype axis and the frame op ---------------------------------------------

TEST(FlatBuffers, ReadsEveryDtypeInPlaceFromItsTypedVector) {
  const Message message = typed_request<std::int16_t>(fbs::Op::Sum, {3}, {1, -2, 3});
  ib::Request r = ib::FlatBuffers::decode(message.bytes());
  EXPECT_EQ(r.dtype, interop_bench::DType::int16);
  ASSERT_EQ(r.count(), 3u);
  EXPECT_EQ(r.values<std::int16_t>()[1], -2);
  EXPECT_GE(reinterpret_cast<const std::uint8_t*>(r.data.data()), message.bytes().data());
  EXPECT_LT(reinterpret_cast<const std::uint8_t*>(r.data.data()),
            message.bytes().data() + message.size);
  EXPECT_TRUE(r.owned_values().empty());
}

TEST(FlatBuffers, RunsTheKernelOfTheValuesOwnType) {
  ib::FlatBuffers::Writer w1, w2, w3, w4;
  // int16 wraps around like NumPy: 300 * 300 = 90000 = 24464 (mod 2^16); a float kernel would not.
  const auto* squared = run(typed_request<std::int16_t>(fbs::Op::Square, {2}, {300, -3}), w1);
  ASSERT_NE(squared->data_i16(), nullptr);
  EXPECT_EQ(squared->data_i16()->Get(0), 24464);
  EXPECT_EQ(squared->data_i16()->Get(1), 9);
  EXPECT_EQ(squared->data(), nullptr);
  // An int64 sum past 2^53 is exact: a double would round it.
  const std::int32_t big = std::numeric_limits<std::int32_t>::max();
  std::vector<std::int32_t> many((1u << 22) + 2, big);
  many.push_back(1);
  const std::int64_t expected = static_cast<std::int64_t>(many.size() - 1) * big + 1;
  EXPECT_EQ(run(typed_request(fbs::Op::Sum, {many.size()}, many), w2)->int_value(), expected);
  EXPECT_EQ(run(typed_request<std::uint8_t>(fbs::Op::Sum, {3}, {255, 255, 1}), w3)->uint_value(),
            511u);
  const auto* scaled = run(typed_request<std::int32_t>(fbs::Op::Scale, {1}, {1 << 30}, 3), w4);
  EXPECT_EQ(scaled->data_i32()->Get(0), static_cast<std::int32_t>(3u << 30));  // wrapped
}

TEST(FlatBuffers, RunsTheFrameOpOnPackedRows) {
  // 2 x 2 pixels: white, black, pure red, pure blue.
  const std::vector<std::uint8_t> rgb = {255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255};
  ib::FlatBuffers::Writer writer;
  const auto* gray = run(typed_request(fbs::Op::Frame, {2, 2}, rgb), writer)->data_u8();
  ASSERT_NE(gray, nullptr);
  ASSERT_EQ(gray->size(), 4u);
  const std::vector<std::uint8_t> expected = {255, 0, (77 * 255 + 128) >> 8, (29 * 255 + 128) >> 8};
  EXPECT_EQ(std::vector<std::uint8_t>(gray->begin(), gray->end()), expected);
  EXPECT_NE(refusal(typed_request(fbs::Op::Frame, {2, 3}, rgb).bytes()), "accepted");
  EXPECT_NE(refusal(typed_request<float>(fbs::Op::Frame, {1, 1}, {1, 2, 3}).bytes()), "accepted");
}

TEST(FlatBuffers, RefusesValuesInNoneOrSeveralTypedVectors) {
  flatbuffers::FlatBufferBuilder builder;
  const std::vector<std::uint64_t> shape = {1};
  const std::vector<double> doubles = {1.0};
  const std::vector<float> floats = {1.0f};
  const auto request =
      fbs::CreateRequestDirect(builder, fbs::Op::Sum, &shape, &doubles, 0.0, &floats);
  builder.Finish(request, fbs::RequestIdentifier());
  EXPECT_NE(refusal(copied(builder).bytes()).find("more than one of"), std::string::npos);
  flatbuffers::FlatBufferBuilder empty;
  empty.Finish(fbs::CreateRequestDirect(empty, fbs::Op::Sum, &shape), fbs::RequestIdentifier());
  EXPECT_NE(refusal(copied(empty).bytes()).find("needs its values in one of"), std::string::npos);
}

TEST(FlatBuffers, AnIntegerArrayIsScaledByAnIntegerOnly) {
  // k (a double) for an int32 array: refused, never converted.
  EXPECT_NE(refusal(typed_request<std::int32_t>(fbs::Op::Scale, {1}, {1}, {}, 2.0).bytes()),
            "accepted");
  EXPECT_NE(refusal(typed_request<std::int32_t>(fbs::Op::Scale, {1}, {1}, 2, 2.0).bytes())
                .find("both k and int_k"),
            std::string::npos);
  // int_k past int16's range for an int16 array.
  EXPECT_NE(refusal(typed_request<std::int16_t>(fbs::Op::Scale, {1}, {1}, 1 << 20).bytes()),
            "accepted");
}
