#include "capnp_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "bridge/execute.hpp"

namespace ib = interop_bench::serialization;
namespace schema = interop_bench::capnp_schema;

namespace {

enum class Form { data, list };

// Where MallocMessageBuilder puts a small request (one segment, built in the
// order of request() below): the segment table, the root pointer, the struct's
// three data words, its shape and values pointers, then the shape's words.
constexpr std::size_t shape_pointer_at = 5;
constexpr std::size_t values_pointer_at = 6;
constexpr std::size_t shape_at = 7;

// A list pointer (capnproto.org/encoding.html): kind 1, the offset in words from
// the end of the pointer to the list, the element size code, the count.
std::uint64_t list_pointer(std::int32_t offset, std::uint64_t size_code, std::uint64_t count) {
  return 1u | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(offset) << 2)) |
         (size_code << 32) | (count << 35);
}
constexpr std::uint64_t byte_elements = 2;
constexpr std::uint64_t eight_byte_elements = 5;

// A framed message in word-aligned storage that the tests may patch.
struct Message {
  std::vector<std::uint64_t> words;
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(words.data()), words.size() * 8};
  }
};

Message framed(capnp::MessageBuilder& builder) {
  const kj::Array<capnp::word> flat = capnp::messageToFlatArray(builder);
  Message message;
  message.words.resize(flat.size());
  std::memcpy(message.words.data(), flat.begin(), flat.size() * sizeof(capnp::word));
  return message;
}

Message request(schema::Op op, const std::vector<std::uint64_t>& shape,
                const std::vector<double>& values, Form form = Form::data, double k = 0.0) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<schema::Request>();
  root.setOp(op);
  root.setK(k);
  auto dims = root.initShape(static_cast<unsigned>(shape.size()));
  for (unsigned i = 0; i < shape.size(); ++i) dims.set(i, shape[i]);
  if (form == Form::data) {
    auto data = root.getValues().initData(static_cast<unsigned>(values.size() * sizeof(double)));
    std::memcpy(data.begin(), values.data(), data.size());
  } else {
    auto list = root.getValues().initList(static_cast<unsigned>(values.size()));
    for (unsigned i = 0; i < values.size(); ++i) list.set(i, values[i]);
  }
  return framed(builder);
}

template <class Codec>
std::string refusal(std::span<const std::uint8_t> bytes) {
  try {
    typename Codec::Writer writer;
    ib::PhaseTimes times;
    ib::execute<Codec>(bytes, writer, times);
  } catch (const ib::MessageError& e) {
    return e.what();
  }
  return "accepted";
}

// Both codecs' refusal of the same bytes (each given its own form of values).
std::string refusal(const Message& message, Form form = Form::data) {
  return form == Form::data ? refusal<ib::CapnpData>(message.bytes())
                            : refusal<ib::CapnpList>(message.bytes());
}

// The reply, copied out of the writer and read back by capnp itself.
struct Reply {
  Message message;
  capnp::FlatArrayMessageReader reader;
  explicit Reply(std::span<const std::uint8_t> bytes)
      : message{std::vector<std::uint64_t>(bytes.size() / 8)},
        reader((std::memcpy(message.words.data(), bytes.data(), bytes.size()),
                kj::arrayPtr(reinterpret_cast<const capnp::word*>(message.words.data()),
                             message.words.size()))) {}
  schema::Reply::Reader root() { return reader.getRoot<schema::Reply>(); }
};

template <class Codec>
std::vector<std::uint8_t> run(const Message& message) {
  typename Codec::Writer writer;
  ib::PhaseTimes times;
  ib::execute<Codec>(message.bytes(), writer, times);
  const auto bytes = writer.bytes();
  return {bytes.begin(), bytes.end()};
}

std::vector<double> data_of(schema::Reply::Reader reply) {
  const auto bytes = reply.getData();
  std::vector<double> values(bytes.size() / sizeof(double));
  std::memcpy(values.data(), bytes.begin(), bytes.size());
  return values;
}

std::vector<double> list_of(schema::Reply::Reader reply) {
  std::vector<double> values;
  for (const double v : reply.getList()) values.push_back(v);
  return values;
}

}  // namespace

TEST(Capnp, ReadsTheDataInPlace) {
  const Message message = request(schema::Op::SCALE, {3}, {1.0, -2.5, 300.0}, Form::data, 2.0);
  ib::Request r = ib::CapnpData::decode(message.bytes());
  EXPECT_EQ(r.op, ib::Op::scale);
  EXPECT_EQ(std::get<double>(r.k), 2.0);
  ASSERT_EQ(r.count(), 3u);
  EXPECT_EQ(r.values<double>()[1], -2.5);
  const auto* at = reinterpret_cast<const std::uint8_t*>(r.data.data());
  EXPECT_GE(at, message.bytes().data());
  EXPECT_LT(at, message.bytes().data() + message.bytes().size());
  EXPECT_TRUE(r.owned_values().empty());
}

TEST(Capnp, ReadsTheListIntoOwnedValues) {
  const Message message = request(schema::Op::SUM, {3}, {1.0, -2.5, 300.0}, Form::list);
  ib::Request r = ib::CapnpList::decode(message.bytes());
  ASSERT_EQ(r.count(), 3u);
  EXPECT_EQ(r.values<double>()[2], 300.0);
  EXPECT_EQ(r.data.data(), r.owned_values().data());
}

TEST(Capnp, RunsEveryOpInBothForms) {
  const std::vector<double> values = {-3, 0.5};
  for (const Form form : {Form::data, Form::list}) {
    const bool data = form == Form::data;
    auto reply_of = [&](const Message& m) {
      return data ? run<ib::CapnpData>(m) : run<ib::CapnpList>(m);
    };
    auto values_of = [&](schema::Reply::Reader r) { return data ? data_of(r) : list_of(r); };
    Reply sum(reply_of(request(schema::Op::SUM, {3}, {1, 2, 3.5}, form)));
    EXPECT_EQ(sum.root().getValue(), 6.5);
    Reply matrix(reply_of(request(schema::Op::MATRIX_SUM, {2, 2}, {1, 2, 3, 4}, form)));
    EXPECT_EQ(matrix.root().getValue(), 10.0);
    Reply squared(reply_of(request(schema::Op::SQUARE, {2}, values, form)));
    EXPECT_EQ(squared.root().which(), data ? schema::Reply::DATA : schema::Reply::LIST);
    EXPECT_EQ(values_of(squared.root()), (std::vector<double>{9.0, 0.25}));
    Reply scaled(reply_of(request(schema::Op::SCALE, {2}, values, form, 1.5)));
    EXPECT_EQ(values_of(scaled.root()), (std::vector<double>{-4.5, 0.75}));
    Reply empty(reply_of(request(schema::Op::SUM, {0}, {}, form)));
    EXPECT_EQ(empty.root().getValue(), 0.0);
  }
}

TEST(Capnp, TheReplyIsWhatCapnpFramesItself) {
  // The reply built in place (FlatMessageBuilder, a hand-written segment table,
  // only the head zeroed) must be byte for byte what messageToFlatArray gives.
  for (const Form form : {Form::data, Form::list}) {
    const std::vector<double> values = {1.0, -0.0, 4.0};
    const auto reply = form == Form::data
                           ? run<ib::CapnpData>(request(schema::Op::SCALE, {3}, values, form, 2.0))
                           : run<ib::CapnpList>(request(schema::Op::SCALE, {3}, values, form, 2.0));
    capnp::MallocMessageBuilder builder;
    auto root = builder.initRoot<schema::Reply>();
    const std::vector<double> scaled = {2.0, -0.0, 8.0};
    if (form == Form::data) {
      std::memcpy(root.initData(24).begin(), scaled.data(), 24);
    } else {
      auto list = root.initList(3);
      for (unsigned i = 0; i < 3; ++i) list.set(i, scaled[i]);
    }
    const Message expected = framed(builder);
    EXPECT_EQ(reply, std::vector<std::uint8_t>(expected.bytes().begin(), expected.bytes().end()));
  }
  capnp::MallocMessageBuilder builder;
  builder.initRoot<schema::Reply>().setValue(6.5);
  const Message expected = framed(builder);
  EXPECT_EQ(run<ib::CapnpData>(request(schema::Op::SUM, {2}, {2.5, 4.0})),
            std::vector<std::uint8_t>(expected.bytes().begin(), expected.bytes().end()));
}

TEST(Capnp, CarriesNaNAndInf) {
  const double inf = std::numeric_limits<double>::infinity();
  Reply sum(run<ib::CapnpData>(request(schema::Op::SUM, {2}, {1.0, inf})));
  EXPECT_EQ(sum.root().getValue(), inf);
  Reply scaled(
      run<ib::CapnpList>(request(schema::Op::SCALE, {2}, {std::nan(""), -inf}, Form::list, 1.0)));
  const auto values = list_of(scaled.root());
  EXPECT_TRUE(std::isnan(values[0]));
  EXPECT_EQ(values[1], -inf);
}

TEST(Capnp, AnEmptyMatrixWithHugeRowsReturnsAtOnce) {
  Reply reply(run<ib::CapnpData>(request(schema::Op::MATRIX_SUM, {1ull << 60, 0}, {})));
  EXPECT_EQ(reply.root().getValue(), 0.0);
}

TEST(Capnp, RefusesTheRulesOfTheOps) {
  for (const Form form : {Form::data, Form::list}) {
    const std::pair<Message, std::string> cases[] = {
        {request(schema::Op::SUM, {3}, {1, 2}, form), "shape says 3"},
        {request(schema::Op::SUM, {1ull << 60}, {1}, form), "shape says"},
        {request(schema::Op::SUM, {1, 1, 1}, {1}, form), "more than 2 dimensions"},
        {request(schema::Op::MATRIX_SUM, {1}, {1}, form), "the op needs 2"},
        {request(schema::Op::SUM, {}, {}, form), "the op needs 1"},
        {request(schema::Op::SUM, {1}, {1}, form, 2.0), "k is only allowed for scale"},
        {request(static_cast<schema::Op>(9), {1}, {1}, form), "unknown op 9"},
    };
    for (const auto& [message, expected] : cases) {
      EXPECT_NE(refusal(message, form).find(expected), std::string::npos)
          << expected << " -> " << refusal(message, form);
    }
  }
}

TEST(Capnp, RefusesTheOtherFormOfValues) {
  EXPECT_NE(refusal(request(schema::Op::SUM, {1}, {1}, Form::list), Form::data)
                .find("the values must be a Data, got a List(Float64)"),
            std::string::npos);
  EXPECT_NE(refusal(request(schema::Op::SUM, {1}, {1}, Form::data), Form::list)
                .find("the values must be a List(Float64) (dtype float64), got a Data"),
            std::string::npos);
  Message unknown = request(schema::Op::SUM, {1}, {1});
  unknown.words[2] |= std::uint64_t{7} << 16;  // the union's tag: bits 16-31 of the data section
  EXPECT_NE(refusal(unknown).find("got an unknown union member"), std::string::npos);
}

TEST(Capnp, RefusesDataThatIsNotWholeDoubles) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<schema::Request>();
  root.initShape(1).set(0, 1);
  root.getValues().initData(7);
  EXPECT_NE(refusal(framed(builder)).find("holds 7 bytes, not a whole number of float64"),
            std::string::npos);
}

TEST(Capnp, RefusesABadSegmentTable) {
  const Message whole = request(schema::Op::SUM, {2}, {1, 2});
  for (const std::uint64_t count_less_one : {2ull, 600ull, 0xffffffffull}) {
    Message many = whole;  // 3 segments (sizes out of range), 601 (past 512), 2^32 (wraps to 0)
    many.words[0] = (many.words[0] & ~0xffffffffull) | count_less_one;
    EXPECT_NE(refusal(many).find(count_less_one == 0xffffffffull ? "claims 2^32 segments"
                                                                 : "not a valid Request message"),
              std::string::npos)
        << count_less_one << " -> " << refusal(many);
  }
  Message longer = whole;  // the one segment claims more words than were sent
  longer.words[0] = (longer.words[0] & 0xffffffffull) | (std::uint64_t{1} << 40);
  EXPECT_NE(refusal(longer).find("not a valid Request message"), std::string::npos);
  Message shorter = whole;  // ... or fewer: the rest is trailing bytes
  shorter.words[0] -= std::uint64_t{1} << 32;
  EXPECT_NE(refusal(shorter).find("8 bytes follow the message"), std::string::npos);
}

TEST(Capnp, RefusesListsThatLieAboutTheirSize) {
  for (const Form form : {Form::data, Form::list}) {
    Message message = request(schema::Op::SUM, {2}, {1, 2}, form);
    const std::uint64_t size_code = form == Form::data ? byte_elements : eight_byte_elements;
    // The values follow the one-word shape: offset 1 from the end of their pointer.
    ASSERT_EQ(message.words[values_pointer_at],
              list_pointer(1, size_code, form == Form::data ? 16 : 2));
    message.words[values_pointer_at] = list_pointer(1, size_code, (1u << 29) - 1);
    EXPECT_NE(refusal(message, form).find("not a valid Request message"), std::string::npos);
    Message shape = request(schema::Op::SUM, {2}, {1, 2}, form);
    shape.words[shape_pointer_at] = list_pointer(1, eight_byte_elements, 1u << 20);
    EXPECT_NE(refusal(shape, form).find("not a valid Request message"), std::string::npos);
  }
}

TEST(Capnp, RefusesAWrongListElementSize) {
  // Data must be a list of bytes, a List(Float64) one of 8-byte elements (or of
  // structs, which capnp may read as such): a list of 4-byte elements is neither.
  Message data = request(schema::Op::SUM, {2}, {1, 2});
  data.words[values_pointer_at] = list_pointer(1, eight_byte_elements, 2);
  EXPECT_NE(refusal(data).find("not a valid Request message"), std::string::npos);
  Message list = request(schema::Op::SUM, {2}, {1, 2}, Form::list);
  list.words[values_pointer_at] = list_pointer(1, 4, 4);
  EXPECT_NE(refusal(list, Form::list).find("not a valid Request message"), std::string::npos);
  Message shape = request(schema::Op::SUM, {2}, {1, 2});
  shape.words[shape_pointer_at] = list_pointer(0, byte_elements, 8);
  EXPECT_NE(refusal(shape).find("not a valid Request message"), std::string::npos);
}

TEST(Capnp, RefusesAShapeAliasingTheValuesPastTheTraversalLimit) {
  // The shape re-pointed at the values' words: read twice, the message would
  // look twice its size. The traversal limit (the message's size) stops it.
  const std::vector<double> values(64, 1.0);
  for (const Form form : {Form::data, Form::list}) {
    Message message = request(schema::Op::SUM, {64}, values, form);
    const std::int32_t to_values = static_cast<std::int32_t>(shape_at + 1 - (shape_pointer_at + 1));
    message.words[shape_pointer_at] = list_pointer(to_values, eight_byte_elements, 64);
    EXPECT_NE(refusal(message, form).find("traversal limit"), std::string::npos)
        << refusal(message, form);
  }
}

TEST(Capnp, RefusesEveryTruncation) {
  for (const Form form : {Form::data, Form::list}) {
    const Message whole = request(schema::Op::SUM, {4}, {1, 2, 3, 4}, form);
    for (std::size_t cut = 0; cut < whole.bytes().size(); ++cut) {
      const auto part = whole.bytes().first(cut);
      const std::string text =
          form == Form::data ? refusal<ib::CapnpData>(part) : refusal<ib::CapnpList>(part);
      EXPECT_NE(text, "accepted") << cut;
    }
  }
}

TEST(Capnp, RefusesMisalignedAndPartialWords) {
  const Message message = request(schema::Op::SUM, {1}, {1});
  std::vector<std::uint64_t> shifted(message.words.size() + 1);
  auto* start = reinterpret_cast<std::uint8_t*>(shifted.data()) + 4;
  std::memcpy(start, message.bytes().data(), message.bytes().size());
  EXPECT_NE(refusal<ib::CapnpData>({start, message.bytes().size()}).find("not 8-byte aligned"),
            std::string::npos);
  EXPECT_NE(refusal<ib::CapnpData>(message.bytes().first(message.bytes().size() - 3))
                .find("not a whole number of 8-byte words"),
            std::string::npos);
  EXPECT_NE(refusal<ib::CapnpData>({}).find("empty message"), std::string::npos);
}

TEST(Capnp, RefusesRandomBytes) {
  std::mt19937_64 random(42);
  std::vector<std::uint64_t> noise(64);
  for (int trial = 0; trial < 500; ++trial) {
    for (auto& word : noise) word = random();
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(noise.data()),
                                              noise.size() * 8);
    EXPECT_NE(refusal<ib::CapnpData>(bytes), "accepted");
    EXPECT_NE(refusal<ib::CapnpList>(bytes), "accepted");
  }
}

// -- the dtype axis and the frame op ---------------------------------------------

namespace {

// The List member of T in a Request or Reply builder.
template <class T, class Values>
typename capnp::List<T>::Builder init_list(Values values, unsigned count) {
  if constexpr (std::is_same_v<T, double>) return values.initList(count);
  if constexpr (std::is_same_v<T, float>) return values.initFloat32s(count);
  if constexpr (std::is_same_v<T, std::int32_t>) return values.initInt32s(count);
  if constexpr (std::is_same_v<T, std::int16_t>) return values.initInt16s(count);
  if constexpr (std::is_same_v<T, std::uint8_t>) return values.initUint8s(count);
}

// A Request of `dtype` whose values of T are a Data or the List of T.
template <class T>
Message typed_request(schema::Op op, const std::vector<std::uint64_t>& shape,
                      const std::vector<T>& values, schema::DType dtype, Form form,
                      std::int64_t int_k = 0, double k = 0.0) {
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<schema::Request>();
  root.setOp(op);
  root.setDtype(dtype);
  root.setIntK(int_k);
  root.setK(k);
  auto dims = root.initShape(static_cast<unsigned>(shape.size()));
  for (unsigned i = 0; i < shape.size(); ++i) dims.set(i, shape[i]);
  const auto count = static_cast<unsigned>(values.size());
  if (form == Form::data) {
    auto data = root.getValues().initData(count * static_cast<unsigned>(sizeof(T)));
    std::memcpy(data.begin(), values.data(), data.size());
  } else {
    auto list = init_list<T>(root.getValues(), count);
    for (unsigned i = 0; i < count; ++i) list.set(i, values[i]);
  }
  return framed(builder);
}

}  // namespace

TEST(Capnp, ReadsEveryDtypeInPlaceFromTheDataAndIntoItsListType) {
  const std::vector<std::int16_t> values = {1, -2, 3};
  const Message data =
      typed_request(schema::Op::SUM, {3}, values, schema::DType::INT16, Form::data);
  ib::Request in_place = ib::CapnpData::decode(data.bytes());
  EXPECT_EQ(in_place.dtype, interop_bench::DType::int16);
  EXPECT_EQ(in_place.values<std::int16_t>()[1], -2);
  EXPECT_TRUE(in_place.owned_values().empty());
  const auto* at = reinterpret_cast<const std::uint8_t*>(in_place.data.data());
  EXPECT_GE(at, data.bytes().data());
  EXPECT_LT(at, data.bytes().data() + data.bytes().size());
  const Message list =
      typed_request(schema::Op::SUM, {3}, values, schema::DType::INT16, Form::list);
  ib::Request owned = ib::CapnpList::decode(list.bytes());
  EXPECT_EQ(owned.dtype, interop_bench::DType::int16);
  EXPECT_EQ(owned.values<std::int16_t>()[2], 3);
  EXPECT_EQ(owned.data.data(), owned.owned_values().data());
}

TEST(Capnp, RunsTheKernelOfTheDtypeInBothForms) {
  // int16 wraps around like NumPy: 300 * 300 = 24464 (mod 2^16); a float kernel would not.
  const std::vector<std::int16_t> values = {300, -3};
  Reply data(run<ib::CapnpData>(
      typed_request(schema::Op::SQUARE, {2}, values, schema::DType::INT16, Form::data)));
  ASSERT_EQ(data.root().which(), schema::Reply::DATA);
  ASSERT_EQ(data.root().getData().size(), 4u);
  std::int16_t squared[2];
  std::memcpy(squared, data.root().getData().begin(), sizeof squared);
  EXPECT_EQ(squared[0], 24464);
  EXPECT_EQ(squared[1], 9);
  Reply list(run<ib::CapnpList>(
      typed_request(schema::Op::SQUARE, {2}, values, schema::DType::INT16, Form::list)));
  ASSERT_EQ(list.root().which(), schema::Reply::INT16S);
  EXPECT_EQ(list.root().getInt16s()[0], 24464);
  const std::vector<std::uint8_t> bytes = {255, 255, 1};
  Reply sum(run<ib::CapnpList>(
      typed_request(schema::Op::SUM, {3}, bytes, schema::DType::UINT8, Form::list)));
  ASSERT_EQ(sum.root().which(), schema::Reply::UINT_VALUE);
  EXPECT_EQ(sum.root().getUintValue(), 511u);
  const std::vector<std::int32_t> ints = {1 << 30, -5};
  Reply scaled(run<ib::CapnpList>(
      typed_request(schema::Op::SCALE, {2}, ints, schema::DType::INT32, Form::list, 3)));
  ASSERT_EQ(scaled.root().which(), schema::Reply::INT32S);
  EXPECT_EQ(scaled.root().getInt32s()[0], static_cast<std::int32_t>(3u << 30));  // wrapped
  EXPECT_EQ(scaled.root().getInt32s()[1], -15);
}

TEST(Capnp, AFramesGrayReplyIsPaddedWithZeros) {
  // 1 x 3 white pixels: 3 gray bytes, then 5 bytes of padding in the last word.
  const std::vector<std::uint8_t> rgb(9, 255);
  for (const Form form : {Form::data, Form::list}) {
    const Message message =
        typed_request(schema::Op::FRAME, {1, 3}, rgb, schema::DType::UINT8, form);
    const std::vector<std::uint8_t> reply =
        form == Form::data ? run<ib::CapnpData>(message) : run<ib::CapnpList>(message);
    const std::vector<std::uint8_t> last_word(reply.end() - 8, reply.end());
    EXPECT_EQ(last_word, (std::vector<std::uint8_t>{255, 255, 255, 0, 0, 0, 0, 0}));
  }
}

TEST(Capnp, RefusesAnUnknownDtypeAListOfAnotherTypeAndTwoFactors) {
  const std::vector<double> one = {1.0};
  const auto unknown = static_cast<schema::DType>(9);
  for (const Form form : {Form::data, Form::list}) {
    EXPECT_NE(refusal(typed_request(schema::Op::SUM, {1}, one, unknown, form), form)
                  .find("unknown dtype code 9"),
              std::string::npos);
  }
  const std::vector<std::int16_t> shorts = {1};
  EXPECT_NE(refusal(typed_request(schema::Op::SUM, {1}, shorts, schema::DType::FLOAT32, Form::list),
                    Form::list)
                .find("must be a List(Float32) (dtype float32), got a List(Int16)"),
            std::string::npos);
  const std::vector<std::int32_t> ints = {1};
  EXPECT_NE(
      refusal(typed_request(schema::Op::SCALE, {1}, ints, schema::DType::INT32, Form::data, 2, 2.0))
          .find("both k and intK"),
      std::string::npos);
  EXPECT_NE(
      refusal(typed_request(schema::Op::SCALE, {1}, ints, schema::DType::INT32, Form::data, 0, 2.0))
          .find("does not fit int32"),
      std::string::npos);
}
