#include "capnp_codec.hpp"

#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "interop_bench/huge_pages.hpp"

namespace interop_bench::serialization {
namespace {

namespace schema = capnp_schema;

static_assert(std::endian::native == std::endian::little,
              "the Data carries little-endian float64 bytes, read as they are");

constexpr std::size_t word_bytes = sizeof(capnp::word);
// A Request is a struct holding two lists: nothing in it nests deeper than 2.
constexpr int nesting_limit = 4;
// The framing of a one-segment message: segment count - 1, then the segment's
// size in words, two little-endian uint32 (capnproto.org/encoding.html).
constexpr std::size_t table_words = 1;
constexpr std::size_t root_pointer_words = 1;

enum class Values { data, list };

// Runs `work`, turning what capnp throws (kj::Exception) into a MessageError:
// the bridge refuses MessageError, and nothing else may leave a codec.
template <class Work>
auto refusing(const char* what, Work&& work) -> decltype(work()) {
  try {
    return std::forward<Work>(work)();
  } catch (const kj::Exception& e) {
    throw MessageError(std::string("capnp: ") + what + ": " + e.getDescription().cStr());
  }
}

Op op_of(schema::Op op) {
  switch (op) {
    case schema::Op::SUM:
      return Op::sum;
    case schema::Op::SQUARE:
      return Op::square;
    case schema::Op::MATRIX_SUM:
      return Op::matrix_sum;
    case schema::Op::SCALE:
      return Op::scale;
  }
  throw MessageError("capnp: unknown op " + std::to_string(static_cast<int>(op)));
}

const char* name_of(schema::Request::Values::Which which) {
  switch (which) {
    case schema::Request::Values::DATA:
      return "a Data";
    case schema::Request::Values::LIST:
      return "a List(Float64)";
  }
  return "an unknown union member";
}

// The message as words, after the checks FlatArrayMessageReader leaves to its
// caller: it takes whole words, at an aligned address.
kj::ArrayPtr<const capnp::word> words_of(std::span<const std::uint8_t> message) {
  if (message.empty()) throw MessageError("capnp: empty message");
  if (message.size() % word_bytes != 0) {
    throw MessageError("capnp: message of " + std::to_string(message.size()) +
                       " bytes is not a whole number of 8-byte words");
  }
  // Reading in place needs aligned words; the caller's buffer is refused rather
  // than silently copied.
  if (reinterpret_cast<std::uintptr_t>(message.data()) % alignof(std::uint64_t) != 0) {
    throw MessageError("capnp: message buffer is not 8-byte aligned");
  }
  // The table starts with the segment count less one: 2^32 - 1 claims 2^32
  // segments, which capnp 0.9.2 wraps to 0 and then reads as one.
  std::uint32_t count_less_one = 0;
  std::memcpy(&count_less_one, message.data(), sizeof count_less_one);
  if (count_less_one == std::numeric_limits<std::uint32_t>::max()) {
    throw MessageError("capnp: the segment table claims 2^32 segments");
  }
  return {reinterpret_cast<const capnp::word*>(message.data()), message.size() / word_bytes};
}

void read_data(const schema::Request::Values::Reader& values, Request& request) {
  const capnp::Data::Reader bytes = values.getData();
  if (bytes.size() % sizeof(double) != 0) {
    throw MessageError("capnp: the Data holds " + std::to_string(bytes.size()) +
                       " bytes, not a whole number of float64 values (8 bytes each)");
  }
  // A Data blob starts on a word of its segment, and the segments of an aligned
  // message are aligned: the doubles are read where they lie.
  request.view_bytes(DType::float64, {bytes.begin(), bytes.size()});
}

void read_list(const schema::Request::Values::Reader& values, Request& request) {
  const capnp::List<double>::Reader list = values.getList();
  // The reader checked that the list lies inside the message, one word or more
  // per element: the reservation is bounded by the message's size.
  std::vector<double>& owned = request.own<double>();
  owned.reserve(list.size());
  advise_huge_pages(owned.data(), list.size() * sizeof(double));
  for (const double value : list) owned.push_back(value);
  request.use_owned();
}

Request read_request(kj::ArrayPtr<const capnp::word> words, Values values) {
  capnp::ReaderOptions options;
  // A message that is what it says needs at most its own size; one whose
  // pointers alias to look bigger runs into the limit.
  options.traversalLimitInWords = words.size();
  options.nestingLimit = nesting_limit;
  capnp::FlatArrayMessageReader reader(words, options);
  if (reader.getEnd() != words.end()) {
    throw MessageError("capnp: " + std::to_string((words.end() - reader.getEnd()) * word_bytes) +
                       " bytes follow the message");
  }
  const schema::Request::Reader root = reader.getRoot<schema::Request>();
  Request request;
  request.op = op_of(root.getOp());
  const schema::Request::Values::Reader given = root.getValues();
  const auto wanted =
      values == Values::data ? schema::Request::Values::DATA : schema::Request::Values::LIST;
  if (given.which() != wanted) {
    throw MessageError(std::string("capnp: the values must be ") + name_of(wanted) + ", got " +
                       name_of(given.which()));
  }
  values == Values::data ? read_data(given, request) : read_list(given, request);
  // Read after the values, so that a shape aliasing them meets the traversal
  // limit before its length is looked at.
  Shape shape;
  for (const std::uint64_t dim : root.getShape()) shape.push(dim);
  request.k = root.getK();
  // A Float64 field is never absent in Cap'n Proto: k = 0 stands for "no k".
  check_request(request, shape, request.op == Op::scale || root.getK() != 0.0);
  return request;
}

Request decode(std::span<const std::uint8_t> message, Values values) {
  const kj::ArrayPtr<const capnp::word> words = words_of(message);
  return refusing("not a valid Request message", [&] { return read_request(words, values); });
}

// The words of a Reply struct (data and pointer sections), from the schema.
std::size_t reply_struct_words() {
  static const std::size_t words = [] {
    const auto layout = capnp::Schema::from<schema::Reply>().getProto().getStruct();
    return std::size_t{layout.getDataWordCount()} + layout.getPointerCount();
  }();
  return words;
}

}  // namespace

schema::Reply::Builder ReplyMessage::start(std::size_t body_words) {
  const std::size_t head_words = table_words + root_pointer_words + reply_struct_words();
  words_ = head_words + body_words;
  storage_.reset(new capnp::word[words_]);  // not zeroed: see the header
  advise_huge_pages(storage_.get(), words_ * word_bytes);
  std::memset(static_cast<void*>(storage_.get()), 0, head_words * word_bytes);
  builder_.emplace(kj::arrayPtr(storage_.get() + table_words, words_ - table_words));
  return refusing("cannot start the reply", [&] { return builder_->initRoot<schema::Reply>(); });
}

void ReplyMessage::finish() {
  refusing("the reply does not fill its buffer", [&] { builder_->requireFilled(); });
  // Fits: a reply holds at most 2^29 words of values (Cap'n Proto's list limit).
  const std::uint32_t table[2] = {0, static_cast<std::uint32_t>(words_ - table_words)};
  std::memcpy(static_cast<void*>(storage_.get()), table, sizeof table);
}

void ReplyMessage::finish_value(double value) {
  start(0).setValue(value);
  finish();
}

Request CapnpData::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::data);
}

Request CapnpList::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::list);
}

std::span<std::byte> CapnpData::Writer::array(Request& request, bool copy_input) {
  const std::size_t count = request.count();
  schema::Reply::Builder reply = reply_.start(count);  // 8 bytes a value: one word each
  // count came from a Data of as many doubles, so count * 8 fits its 29-bit size.
  capnp::Data::Builder body = refusing("cannot build the reply", [&] {
    return reply.initData(static_cast<unsigned int>(count * sizeof(double)));
  });
  const std::span<std::byte> out(reinterpret_cast<std::byte*>(body.begin()), body.size());
  if (copy_input) std::copy(request.data.begin(), request.data.end(), out.begin());
  return out;
}

void CapnpList::Writer::finish_array() {
  const std::span<const double> result = result_values<double>();
  const std::size_t count = result.size();
  schema::Reply::Builder reply = reply_.start(count);
  capnp::List<double>::Builder list = refusing(
      "cannot build the reply", [&] { return reply.initList(static_cast<unsigned int>(count)); });
  for (std::size_t i = 0; i < count; ++i) list.set(static_cast<unsigned int>(i), result[i]);
  reply_.finish();
}

}  // namespace interop_bench::serialization
