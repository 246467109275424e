#include "capnp_codec.hpp"

#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "interop_bench/huge_pages.hpp"

namespace interop_bench::serialization {
namespace {

namespace schema = capnp_schema;

static_assert(std::endian::native == std::endian::little,
              "the Data carries little-endian values, read as they are");
// array.capnp's DType codes are the bridge's (checked_dtype reads them).
static_assert(static_cast<int>(schema::DType::FLOAT64) == static_cast<int>(DType::float64) &&
              static_cast<int>(schema::DType::FLOAT32) == static_cast<int>(DType::float32) &&
              static_cast<int>(schema::DType::INT32) == static_cast<int>(DType::int32) &&
              static_cast<int>(schema::DType::INT16) == static_cast<int>(DType::int16) &&
              static_cast<int>(schema::DType::UINT8) == static_cast<int>(DType::uint8));

constexpr std::size_t word_bytes = sizeof(capnp::word);
// A Request is a struct holding two lists: nothing in it nests deeper than 2.
constexpr int nesting_limit = 4;
// The framing of a one-segment message: segment count - 1, then the segment's
// size in words, two little-endian uint32 (capnproto.org/encoding.html).
constexpr std::size_t table_words = 1;
constexpr std::size_t root_pointer_words = 1;

// How the values travel: one Data and a dtype code (capnp), or the List of their type (capnp-list).
enum class Values { data, lists };
using Which = schema::Request::Values::Which;

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
    case schema::Op::FRAME:
      return Op::frame;
  }
  throw MessageError("capnp: unknown op " + std::to_string(static_cast<int>(op)));
}

const char* member_name(Which which) {
  switch (which) {
    case Which::DATA:
      return "a Data";
    case Which::LIST:
      return "a List(Float64)";
    case Which::FLOAT32S:
      return "a List(Float32)";
    case Which::INT32S:
      return "a List(Int32)";
    case Which::INT16S:
      return "a List(Int16)";
    case Which::UINT8S:
      return "a List(UInt8)";
  }
  return "an unknown union member";
}

// The list member of each dtype, in DType's order.
constexpr Which list_members[dtype_count] = {Which::LIST, Which::FLOAT32S, Which::INT32S,
                                             Which::INT16S, Which::UINT8S};

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

// A dtype code as the reader returns it (an unknown enumerant passes through).
DType dtype_of_code(schema::DType code) {
  return checked_dtype(static_cast<std::uint64_t>(code));
}

void read_data(const schema::Request::Reader& root, Request& request) {
  const schema::Request::Values::Reader values = root.getValues();
  if (values.which() != Which::DATA) {
    throw MessageError(std::string("capnp: the values must be a Data, got ") +
                       member_name(values.which()));
  }
  const capnp::Data::Reader bytes = values.getData();
  // A Data blob starts on a word of its segment, and the segments of an aligned
  // message are aligned: the values are read where they lie.
  request.view_bytes(dtype_of_code(root.getDtype()), {bytes.begin(), bytes.size()});
}

// The list of T into Request::owned, element by element.
template <class T>
void read_list(const typename capnp::List<T>::Reader& list, Request& request) {
  // The reader checked that the list lies inside the message: the reservation
  // is bounded by the message's size (one byte or more per element).
  std::vector<T>& owned = request.own<T>();
  owned.reserve(list.size());
  advise_huge_pages(owned.data(), list.size() * sizeof(T));
  for (const T value : list) owned.push_back(value);
  request.use_owned();
}

void read_lists(const schema::Request::Reader& root, Request& request) {
  const schema::Request::Values::Reader values = root.getValues();
  const DType dtype = dtype_of_code(root.getDtype());
  const Which wanted = list_members[static_cast<std::size_t>(dtype)];
  if (values.which() != wanted) {
    throw MessageError(std::string("capnp: the values must be ") + member_name(wanted) +
                       " (dtype " + std::string(dtype_name(dtype)) + "), got " +
                       member_name(values.which()));
  }
  switch (dtype) {
    case DType::float64:
      return read_list<double>(values.getList(), request);
    case DType::float32:
      return read_list<float>(values.getFloat32s(), request);
    case DType::int32:
      return read_list<std::int32_t>(values.getInt32s(), request);
    case DType::int16:
      return read_list<std::int16_t>(values.getInt16s(), request);
    case DType::uint8:
      return read_list<std::uint8_t>(values.getUint8s(), request);
  }
}

// Scale's factor: intK for integer arrays, k for float ones. A number field is
// never absent in Cap'n Proto: 0 stands for "no factor". Returns whether the
// message carried one.
bool read_factor(const schema::Request::Reader& root, Request& request) {
  const double k = root.getK();
  const std::int64_t int_k = root.getIntK();
  if (k != 0.0 && int_k != 0) throw MessageError("capnp: the message holds both k and intK");
  const bool integer = request.dtype != DType::float64 && request.dtype != DType::float32;
  if (int_k != 0 || (integer && k == 0.0)) {
    request.k = int_k;
  } else {
    request.k = k;
  }
  return k != 0.0 || int_k != 0;
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
  values == Values::data ? read_data(root, request) : read_lists(root, request);
  // Read after the values, so that a shape aliasing them meets the traversal
  // limit before its length is looked at.
  Shape shape;
  for (const std::uint64_t dim : root.getShape()) shape.push(dim);
  const bool has_k = read_factor(root, request);
  check_request(request, shape, request.op == Op::scale || has_k);
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
  // The body's last word may end in padding after the last value, which the
  // values do not overwrite and a reply must not leak.
  if (body_words != 0) std::memset(static_cast<void*>(&storage_[words_ - 1]), 0, word_bytes);
  builder_.emplace(kj::arrayPtr(storage_.get() + table_words, words_ - table_words));
  return refusing("cannot start the reply", [&] { return builder_->initRoot<schema::Reply>(); });
}

void ReplyMessage::finish() {
  refusing("the reply does not fill its buffer", [&] { builder_->requireFilled(); });
  // Fits: a reply holds at most 2^29 words of values (Cap'n Proto's list limit).
  const std::uint32_t table[2] = {0, static_cast<std::uint32_t>(words_ - table_words)};
  std::memcpy(static_cast<void*>(storage_.get()), table, sizeof table);
}

void ReplyMessage::finish_value(const Number& value) {
  schema::Reply::Builder reply = start(0);
  std::visit(
      [&](auto number) {
        using Type = decltype(number);
        if constexpr (std::is_same_v<Type, double>) {
          reply.setValue(number);
        } else if constexpr (std::is_same_v<Type, std::int64_t>) {
          reply.setIntValue(number);
        } else {
          reply.setUintValue(number);
        }
      },
      value);
  finish();
}

Request CapnpData::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::data);
}

Request CapnpList::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::lists);
}

std::span<std::byte> CapnpData::Writer::array(Request& request, bool copy_input) {
  const std::size_t bytes = result_bytes(request);
  const std::size_t body_words = (bytes + word_bytes - 1) / word_bytes;
  schema::Reply::Builder reply = reply_.start(body_words);
  // count came from a Data of as many bytes (or three times as many: frame),
  // so it fits the Data's 29-bit size.
  capnp::Data::Builder body = refusing(
      "cannot build the reply", [&] { return reply.initData(static_cast<unsigned int>(bytes)); });
  const std::span<std::byte> out(reinterpret_cast<std::byte*>(body.begin()), bytes);
  if (copy_input) std::copy(request.data.begin(), request.data.end(), out.begin());
  return out;
}

// The reply's list of T set from `values`, element by element.
template <class T>
void set_list(typename capnp::List<T>::Builder list, std::span<const T> values) {
  for (std::size_t i = 0; i < values.size(); ++i) list.set(static_cast<unsigned int>(i), values[i]);
}

void CapnpList::Writer::finish_array() {
  const std::size_t bytes = result_.size();
  schema::Reply::Builder reply = reply_.start((bytes + word_bytes - 1) / word_bytes);
  visit_dtype(result_dtype_, [&](auto type) {
    using T = typename decltype(type)::type;
    const std::span<const T> values(reinterpret_cast<const T*>(result_.data()), bytes / sizeof(T));
    // Fits: a list holds what a list of the request held, or a third of it (frame).
    const auto count = static_cast<unsigned int>(values.size());
    refusing("cannot build the reply", [&] {
      if constexpr (std::is_same_v<T, double>) {
        set_list<T>(reply.initList(count), values);
      } else if constexpr (std::is_same_v<T, float>) {
        set_list<T>(reply.initFloat32s(count), values);
      } else if constexpr (std::is_same_v<T, std::int32_t>) {
        set_list<T>(reply.initInt32s(count), values);
      } else if constexpr (std::is_same_v<T, std::int16_t>) {
        set_list<T>(reply.initInt16s(count), values);
      } else {
        set_list<T>(reply.initUint8s(count), values);
      }
    });
  });
  reply_.finish();
}

}  // namespace interop_bench::serialization
