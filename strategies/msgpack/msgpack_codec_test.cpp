#include "msgpack_codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <msgpack.hpp>
#include <random>
#include <string>
#include <vector>

#include "bridge/execute.hpp"

namespace ib = interop_bench::serialization;

namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> span_of(const Bytes& bytes) {
  return {bytes.data(), bytes.size()};
}

// A request map; `values` (of T, named `dtype`) as a bin of their bytes or as
// an array of numbers.
template <class T, class K = double>
Bytes typed_request(const std::string& op, const std::vector<std::uint64_t>& shape,
                    const std::string& dtype, const std::vector<T>& values, bool as_bin,
                    const K* k = nullptr) {
  ib::ByteSink sink;
  msgpack::packer<ib::ByteSink> packer(sink);
  packer.pack_map(k ? 5 : 4);
  packer.pack(std::string("op"));
  packer.pack(op);
  packer.pack(std::string("shape"));
  packer.pack(shape);
  packer.pack(std::string("dtype"));
  packer.pack(dtype);
  packer.pack(std::string("data"));
  if (as_bin) {
    packer.pack_bin(static_cast<std::uint32_t>(values.size() * sizeof(T)));
    packer.pack_bin_body(reinterpret_cast<const char*>(values.data()),
                         static_cast<std::uint32_t>(values.size() * sizeof(T)));
  } else {
    packer.pack_array(static_cast<std::uint32_t>(values.size()));
    for (const T value : values) packer.pack(value);
  }
  if (k) {
    packer.pack(std::string("k"));
    packer.pack(*k);
  }
  return sink.bytes;
}

Bytes request(const std::string& op, const std::vector<std::uint64_t>& shape,
              const std::vector<double>& values, bool as_bin, const double* k = nullptr) {
  return typed_request(op, shape, "float64", values, as_bin, k);
}

// A reply's map, unpacked.
std::map<std::string, msgpack::object> reply_fields(const msgpack::object_handle& handle) {
  return handle.get().as<std::map<std::string, msgpack::object>>();
}

template <class Codec>
msgpack::object_handle run_raw(const Bytes& message) {
  typename Codec::Writer writer;
  ib::PhaseTimes times;
  ib::execute<Codec>(span_of(message), writer, times);
  const auto reply = writer.bytes();
  return msgpack::unpack(reinterpret_cast<const char*>(reply.data()), reply.size());
}

// The reply's values as T, from its bin or its array.
template <class T>
std::vector<T> values_of(const msgpack::object& data) {
  if (data.type == msgpack::type::ARRAY) {
    // Element by element: msgpack-c++ reads a std::vector<unsigned char> from a bin only.
    std::vector<T> values;
    for (const msgpack::object& o : std::span(data.via.array.ptr, data.via.array.size)) {
      values.push_back(o.as<T>());
    }
    return values;
  }
  std::vector<T> values(data.via.bin.size / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), data.via.bin.ptr, data.via.bin.size);
  return values;
}

// The reply's "value" or "data" values, decoded back with msgpack-c++.
template <class Codec>
std::vector<double> run(const Bytes& message) {
  typename Codec::Writer writer;
  ib::PhaseTimes times;
  ib::execute<Codec>(span_of(message), writer, times);
  const auto reply = writer.bytes();
  const msgpack::object_handle handle =
      msgpack::unpack(reinterpret_cast<const char*>(reply.data()), reply.size());
  const msgpack::object& root = handle.get();
  const auto fields = root.as<std::map<std::string, msgpack::object>>();
  if (fields.count("value")) return {fields.at("value").as<double>()};
  EXPECT_EQ(fields.at("dtype").as<std::string>(), "float64");
  return values_of<double>(fields.at("data"));
}

template <class Codec>
std::string refusal(const Bytes& message) {
  try {
    Codec::decode(span_of(message));
  } catch (const ib::MessageError& e) {
    return e.what();
  }
  return "accepted";
}

template <class Codec>
class MsgpackFormat : public ::testing::Test {
 protected:
  static constexpr bool as_bin = std::is_same_v<Codec, ib::MsgpackBin>;
};
using Codecs = ::testing::Types<ib::MsgpackBin, ib::MsgpackList>;
TYPED_TEST_SUITE(MsgpackFormat, Codecs);

TYPED_TEST(MsgpackFormat, RunsEveryOp) {
  const bool bin = TestFixture::as_bin;
  const double k = 1.5;
  EXPECT_EQ(run<TypeParam>(request("sum", {3}, {1, 2, 3.5}, bin)), std::vector<double>{6.5});
  EXPECT_EQ(run<TypeParam>(request("square", {2}, {-3, 0.5}, bin)), (std::vector<double>{9, 0.25}));
  EXPECT_EQ(run<TypeParam>(request("matrix_sum", {2, 2}, {1, 2, 3, 4}, bin)),
            std::vector<double>{10});
  EXPECT_EQ(run<TypeParam>(request("scale", {2}, {1, 2}, bin, &k)), (std::vector<double>{1.5, 3}));
  EXPECT_EQ(run<TypeParam>(request("sum", {0}, {}, bin)), std::vector<double>{0});
}

TYPED_TEST(MsgpackFormat, RepliesWithFloat64sWhateverTheirValues) {
  // 4 and -0.0 stay float64 (msgpack-c++'s pack_double would write integers).
  const double k = -1;
  const Bytes message = request("scale", {2}, {-4, 0}, TestFixture::as_bin, &k);
  const auto reply = run<TypeParam>(message);
  EXPECT_EQ(reply, (std::vector<double>{4, -0.0}));
  EXPECT_TRUE(std::signbit(reply[1]));
}

TYPED_TEST(MsgpackFormat, CarriesNanAndInfUnchanged) {
  const double inf = std::numeric_limits<double>::infinity();
  const auto reply = run<TypeParam>(request("square", {2}, {-inf, 5e-324}, TestFixture::as_bin));
  EXPECT_EQ(reply, (std::vector<double>{inf, 0.0}));
  EXPECT_TRUE(std::isnan(run<TypeParam>(request("sum", {1}, {NAN}, TestFixture::as_bin))[0]));
}

TYPED_TEST(MsgpackFormat, RefusesMalformedMessagesByName) {
  const bool bin = TestFixture::as_bin;
  const double k = 2;
  const std::pair<Bytes, std::string> cases[] = {
      {{}, "truncated"},
      {{0x93, 0x01, 0x02, 0x03}, "must be a map"},
      {request("cube", {1}, {1}, bin), "unknown op"},
      {request("sum", {2}, {1}, bin), "shape says 2"},
      {request("sum", {1, 2, 3}, {1}, bin), "more than 2 dimensions"},
      {request("matrix_sum", {1}, {1}, bin), "the op needs 2"},
      {request("scale", {1}, {1}, bin), "needs k"},
      {request("sum", {1}, {1}, bin, &k), "only allowed for scale"},
      {{0x81, 0xa2, 'o', 'p', 0xa3, 's', 'u', 'm'}, "needs \"op\", \"shape\", \"dtype\""},
      {typed_request<double>("sum", {1}, "complex128", {1}, bin), "unknown dtype"},
      {typed_request<double>("frame", {1, 1}, "float64", {1, 2, 3}, bin), "frame takes uint8"},
      {typed_request<std::uint8_t>("frame", {1, 2}, "uint8", {1, 2, 3}, bin), "shape says 6"},
      {typed_request<std::uint8_t>("frame", {std::uint64_t{1} << 62, 2}, "uint8", {}, bin),
       "overflows"},
      {{0x82, 0xa2, 'o', 'p', 0xa3, 's', 'u', 'm', 0xa2, 'o', 'p', 0xa3, 's', 'u', 'm'}, "twice"},
      {{0x81, 0xa1, 'x', 0xc0}, "unknown key"},
      {{0x81, 0x01, 0xc0}, "a key must be a str"},
      {{0x81, 0xa5, 's', 'h', 'a', 'p', 'e', 0x91, 0xff}, "non-negative integer"},
      {{0x81, 0xa5, 's', 'h', 'a', 'p', 'e', 0x91, 0x91, 0x01}, "depth"},
  };
  for (const auto& [message, expected] : cases) {
    const std::string got = refusal<TypeParam>(message);
    EXPECT_NE(got.find(expected), std::string::npos) << expected << " -> " << got;
  }
}

TYPED_TEST(MsgpackFormat, RefusesTruncationAndTrailingBytes) {
  const Bytes whole = request("sum", {2}, {1, 2}, TestFixture::as_bin);
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_NE(refusal<TypeParam>(Bytes(whole.begin(), whole.begin() + cut)), "accepted") << cut;
  }
  Bytes trailing = whole;
  trailing.push_back(0xc0);
  EXPECT_NE(refusal<TypeParam>(trailing).find("1 bytes follow"), std::string::npos);
}

TYPED_TEST(MsgpackFormat, HugeDeclaredLengthsAreRefusedBeforeAllocating) {
  // array32, map32, bin32 and str32 headers claiming 2^32 - 1 entries or bytes.
  for (const std::uint8_t header : {0xdd, 0xdf, 0xc6, 0xdb}) {
    const Bytes message = {0x81, 0xa4, 'd', 'a', 't', 'a', header, 0xff, 0xff, 0xff, 0xff};
    EXPECT_NE(refusal<TypeParam>(message), "accepted") << int(header);
  }
  const Bytes root_array = {0xdd, 0xff, 0xff, 0xff, 0xff};
  EXPECT_NE(refusal<TypeParam>(root_array).find("array size overflow"), std::string::npos);
}

TYPED_TEST(MsgpackFormat, RandomBytesAreRefusedOrRun) {
  std::mt19937 random(42);
  for (int i = 0; i < 2000; ++i) {
    Bytes message(random() % 64);
    for (auto& byte : message) byte = static_cast<std::uint8_t>(random());
    typename TypeParam::Writer writer;
    ib::PhaseTimes times;
    try {
      ib::execute<TypeParam>(span_of(message), writer, times);
    } catch (const ib::MessageError&) {
    }
  }
}

TEST(MsgpackBin, DataMustBeWholeFloat64Values) {
  const Bytes odd = typed_request<std::uint8_t>("sum", {1}, "float64", {1, 2, 3, 4, 5, 6, 7}, true);
  EXPECT_NE(refusal<ib::MsgpackBin>(odd).find("not a whole number of float64"), std::string::npos);
  const Bytes odd_int16 = typed_request<std::uint8_t>("sum", {1}, "int16", {1, 2, 3}, true);
  EXPECT_NE(refusal<ib::MsgpackBin>(odd_int16).find("not a whole number of int16 values"),
            std::string::npos);
  EXPECT_NE(refusal<ib::MsgpackBin>(request("sum", {1}, {1}, false)).find("must be a bin"),
            std::string::npos);
}

TEST(MsgpackList, ElementsMustBeNumbers) {
  Bytes with_nil = request("sum", {2}, {1.5, 2.5}, false);
  with_nil.resize(with_nil.size() - 9);  // the last float64: 0xcb and 8 bytes
  with_nil.push_back(0xc0);
  EXPECT_NE(refusal<ib::MsgpackList>(with_nil).find("\"data\"[1] must be a number, got nil"),
            std::string::npos);
  const std::pair<Bytes, std::string> misfits[] = {
      {typed_request<int>("sum", {2}, "uint8", {7, 256}, false),
       "\"data\"[1] = 256 does not fit uint8"},
      {typed_request<int>("sum", {1}, "uint8", {-1}, false), "= -1 does not fit uint8"},
      {typed_request<int>("sum", {1}, "int16", {-32769}, false), "does not fit int16"},
      {typed_request<double>("sum", {1}, "int32", {2.5}, false), "= 2.5 does not fit int32"},
      {typed_request<double>("sum", {1}, "float32", {1e300}, false), "does not fit float32"},
  };
  for (const auto& [message, expected] : misfits) {
    const std::string got = refusal<ib::MsgpackList>(message);
    EXPECT_NE(got.find(expected), std::string::npos) << expected << " -> " << got;
  }
  EXPECT_NE(refusal<ib::MsgpackList>(request("sum", {1}, {1}, true)).find("an array of numbers"),
            std::string::npos);
}

TEST(MsgpackBin, TheReplyBodyIsAlignedForTheKernel) {
  for (const std::size_t n : {1u, 7u, 300u, 70000u}) {
    ib::Request r =
        ib::MsgpackBin::decode(span_of(request("sum", {n}, std::vector<double>(n), true)));
    ib::MsgpackBin::Writer writer;
    const std::span<std::byte> out = writer.array(r, true);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(out.data()) % alignof(double), 0u) << n;
    EXPECT_EQ(writer.bytes().data() + writer.bytes().size(),
              reinterpret_cast<const std::uint8_t*>(out.data() + n * sizeof(double)));
  }
}

TYPED_TEST(MsgpackFormat, RunsTheKernelOfEachDtype) {
  const bool bin = TestFixture::as_bin;
  // int16 squares wrap around (200^2 = 40000 = -25536 mod 2^16), as NumPy's do.
  const auto square = run_raw<TypeParam>(
      typed_request<std::int16_t>("square", {3}, "int16", {200, -3, 32767}, bin));
  std::map<std::string, msgpack::object> fields = reply_fields(square);
  EXPECT_EQ(fields.at("dtype").as<std::string>(), "int16");
  EXPECT_EQ(values_of<std::int16_t>(fields.at("data")), (std::vector<std::int16_t>{-25536, 9, 1}));
  // uint8 sums are exact 64-bit integers, sent as MessagePack integers.
  const auto sum =
      run_raw<TypeParam>(typed_request<std::uint8_t>("sum", {3}, "uint8", {255, 255, 7}, bin));
  const msgpack::object& value = reply_fields(sum).at("value");
  EXPECT_EQ(value.type, msgpack::type::POSITIVE_INTEGER);
  EXPECT_EQ(value.via.u64, 517u);
  const std::int64_t k = 3;
  const auto scaled = run_raw<TypeParam>(
      typed_request<std::int32_t>("scale", {2}, "int32", {1000000000, -7}, bin, &k));
  EXPECT_EQ(values_of<std::int32_t>(reply_fields(scaled).at("data")),
            (std::vector<std::int32_t>{-1294967296, -21}));
  const auto f32 = run_raw<TypeParam>(typed_request<float>("square", {1}, "float32", {0.1f}, bin));
  fields = reply_fields(f32);
  EXPECT_EQ(fields.at("dtype").as<std::string>(), "float32");
  EXPECT_EQ(values_of<float>(fields.at("data")), std::vector<float>{0.1f * 0.1f});
}

TYPED_TEST(MsgpackFormat, TurnsAFrameToGray) {
  const auto gray = run_raw<TypeParam>(typed_request<std::uint8_t>(
      "frame", {1, 2}, "uint8", {10, 20, 30, 255, 255, 255}, TestFixture::as_bin));
  const std::map<std::string, msgpack::object> fields = reply_fields(gray);
  EXPECT_EQ(fields.at("dtype").as<std::string>(), "uint8");
  EXPECT_EQ(values_of<std::uint8_t>(fields.at("data")), (std::vector<std::uint8_t>{18, 255}));
}

TYPED_TEST(MsgpackFormat, RefusesAFactorThatDoesNotFitTheDtype) {
  const double fraction = 1.5;
  const std::int64_t too_big = 256;
  const std::string got_fraction = refusal<TypeParam>(
      typed_request<std::int16_t>("scale", {1}, "int16", {1}, TestFixture::as_bin, &fraction));
  EXPECT_NE(got_fraction.find("k = 1.5"), std::string::npos) << got_fraction;
  const std::string got_big = refusal<TypeParam>(
      typed_request<std::uint8_t>("scale", {1}, "uint8", {1}, TestFixture::as_bin, &too_big));
  EXPECT_NE(got_big.find("uint8"), std::string::npos) << got_big;
}

}  // namespace
