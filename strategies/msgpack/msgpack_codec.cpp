#include "msgpack_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "interop_bench/huge_pages.hpp"

namespace interop_bench::serialization {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the bin carries little-endian float64 bytes, copied as they are");

// A request is one map of at most 4 keys holding at most one array (shape, or
// the values of MsgpackList): deeper, longer or other is hostile.
constexpr std::size_t max_keys = 4;
constexpr std::size_t max_depth = 2;          // the root map, one array inside it
constexpr std::size_t max_string_bytes = 16;  // the longest key or op name is 10
constexpr std::size_t max_ext_bytes = 0;      // no ext type is part of the format
constexpr std::size_t max_bin_bytes = std::numeric_limits<std::uint32_t>::max();

enum class Values { bin, list };

// A float64 at any address: a bin's body has no alignment in MessagePack.
struct [[gnu::packed]] UnalignedDouble {
  double value;
  operator double() const { return value; }
};

const char* type_name(msgpack::type::object_type type) {
  switch (type) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "float";
    case msgpack::type::STR:
      return "str";
    case msgpack::type::BIN:
      return "bin";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "map";
    case msgpack::type::EXT:
      return "ext";
  }
  return "unknown type";
}

MessageError wrong_type(const char* what, const char* expected, const msgpack::object& got) {
  return MessageError(std::string("msgpack: ") + what + " must be " + expected + ", got " +
                      type_name(got.type));
}

// Strings and bins are referenced where they lie in the message, not copied
// into the zone: the values are copied once, by read_bin.
bool reference_in_place(msgpack::type::object_type type, std::size_t, void*) {
  return type == msgpack::type::BIN || type == msgpack::type::STR;
}

msgpack::object_handle unpack(std::span<const std::uint8_t> message) {
  // msgpack-c++ allocates an array's msgpack::objects as soon as it reads the
  // declared length. Each element takes at least one byte of the message, so
  // a length past the message's size is a lie: refused before any allocation.
  const std::size_t max_elements = message.size();
  const msgpack::unpack_limit limits(max_elements, max_keys, max_string_bytes,
                                     std::min(message.size(), max_bin_bytes), max_ext_bytes,
                                     max_depth);
  std::size_t offset = 0;
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(reinterpret_cast<const char*>(message.data()), message.size(), offset,
                             reference_in_place, nullptr, limits);
  } catch (const msgpack::insufficient_bytes&) {
    throw MessageError("msgpack: the message is truncated (" + std::to_string(message.size()) +
                       " bytes)");
  } catch (const msgpack::unpack_error& e) {
    throw MessageError(std::string("msgpack: not a valid message: ") + e.what());
  }
  if (handle.zone() == nullptr) {
    throw MessageError("msgpack: the message is truncated (" + std::to_string(message.size()) +
                       " bytes)");
  }
  if (offset != message.size()) {
    throw MessageError("msgpack: " + std::to_string(message.size() - offset) +
                       " bytes follow the message");
  }
  return handle;
}

std::string_view text(const msgpack::object& o, const char* what) {
  if (o.type != msgpack::type::STR) throw wrong_type(what, "a str", o);
  return {o.via.str.ptr, o.via.str.size};
}

// A number as a double. Integers too: msgpack-c++'s own pack_double writes an
// integral double (1.0) as an integer, so its clients send them.
std::optional<double> number(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::FLOAT64:
    case msgpack::type::FLOAT32:  // widened into via.f64 exactly
      return o.via.f64;
    case msgpack::type::POSITIVE_INTEGER:
      return static_cast<double>(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return static_cast<double>(o.via.i64);
    default:
      return std::nullopt;
  }
}

double real(const msgpack::object& o, const char* what) {
  const auto value = number(o);
  if (!value) throw wrong_type(what, "a number", o);
  return *value;
}

Shape read_shape(const msgpack::object& o) {
  if (o.type != msgpack::type::ARRAY) throw wrong_type("\"shape\"", "an array", o);
  Shape shape;
  for (const msgpack::object& dim : std::span(o.via.array.ptr, o.via.array.size)) {
    if (dim.type != msgpack::type::POSITIVE_INTEGER) {
      throw wrong_type("each dimension of \"shape\"", "a non-negative integer", dim);
    }
    shape.push(dim.via.u64);
  }
  return shape;
}

// Room for the decoded values, with huge pages as NumPy gives its own large
// arrays (else the comparison measures page faults, see huge_pages.hpp).
void reserve_values(Request& request, std::size_t count) {
  request.owned.reserve(count);
  advise_huge_pages(request.owned.data(), count * sizeof(double));
}

void read_bin(const msgpack::object& o, Request& request) {
  if (o.type != msgpack::type::BIN) {
    throw wrong_type("\"data\"", "a bin of little-endian float64 bytes", o);
  }
  const std::size_t bytes = o.via.bin.size;
  if (bytes % sizeof(double) != 0) {
    throw MessageError("msgpack: \"data\" holds " + std::to_string(bytes) +
                       " bytes, not a whole number of float64 values (8 bytes each)");
  }
  // One pass, without zeroing the vector first as resize() + memcpy would.
  const auto* first = reinterpret_cast<const UnalignedDouble*>(o.via.bin.ptr);
  reserve_values(request, bytes / sizeof(double));
  request.owned.assign(first, first + bytes / sizeof(double));
  request.data = request.owned;
}

void read_list(const msgpack::object& o, Request& request) {
  if (o.type != msgpack::type::ARRAY) throw wrong_type("\"data\"", "an array of numbers", o);
  const std::span elements(o.via.array.ptr, o.via.array.size);
  reserve_values(request, elements.size());
  for (const msgpack::object& element : elements) {
    const auto value = number(element);
    if (!value) {
      throw wrong_type(("\"data\"[" + std::to_string(request.owned.size()) + "]").c_str(),
                       "a number", element);
    }
    request.owned.push_back(*value);
  }
  request.data = request.owned;
}

Request decode(std::span<const std::uint8_t> message, Values values) {
  const msgpack::object_handle handle = unpack(message);
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) throw wrong_type("the message", "a map", root);
  Request request;
  Shape shape;
  bool has_op = false, has_shape = false, has_data = false, has_k = false;
  for (const msgpack::object_kv& field : std::span(root.via.map.ptr, root.via.map.size)) {
    const std::string_view key = text(field.key, "a key");
    bool* seen = key == "op"      ? &has_op
                 : key == "shape" ? &has_shape
                 : key == "data"  ? &has_data
                 : key == "k"     ? &has_k
                                  : nullptr;
    if (seen == nullptr) throw MessageError("msgpack: unknown key \"" + std::string(key) + "\"");
    if (*seen) throw MessageError("msgpack: key \"" + std::string(key) + "\" appears twice");
    *seen = true;
    if (key == "op") {
      const std::string_view name = text(field.val, "\"op\"");
      const auto op = op_from_name(name);
      if (!op) throw MessageError("msgpack: unknown op \"" + std::string(name) + "\"");
      request.op = *op;
    } else if (key == "shape") {
      shape = read_shape(field.val);
    } else if (key == "data") {
      values == Values::bin ? read_bin(field.val, request) : read_list(field.val, request);
    } else {
      request.k = real(field.val, "\"k\"");
    }
  }
  if (!has_op || !has_shape || !has_data) {
    throw MessageError("msgpack: the message needs \"op\", \"shape\" and \"data\"");
  }
  check_request(request, shape, has_k);
  return request;
}

// A float64 (0xcb + 8 big-endian bytes) whatever its value. msgpack-c++ 4.1.3's
// pack_double writes an integral double as an integer, and -0.0 as 0: the sign
// of zero would be lost, and the reply's types would depend on its values.
void pack_float64(ByteSink& sink, double value) {
  const std::uint64_t big_endian = __builtin_bswap64(std::bit_cast<std::uint64_t>(value));
  sink.bytes.push_back(0xcb);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&big_endian);
  sink.bytes.insert(sink.bytes.end(), bytes, bytes + sizeof big_endian);
}

void pack_value_reply(ByteSink& sink, double value) {
  msgpack::packer<ByteSink> packer(sink);
  packer.pack_map(1);
  packer.pack(std::string_view("value"));
  pack_float64(sink, value);
}

template <class Stream>
void pack_data_key(msgpack::packer<Stream>& packer) {
  packer.pack_map(1);
  packer.pack(std::string_view("data"));
}

}  // namespace

Request MsgpackBin::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::bin);
}

Request MsgpackList::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::list);
}

std::span<double> MsgpackBin::Writer::array(Request& request, bool copy_input) {
  const std::size_t count = request.data.size();
  ByteSink header;
  // Reachable only from a bin that held as many bytes: a bin's size is 32 bits.
  msgpack::packer<ByteSink> packer(header);
  pack_data_key(packer);
  packer.pack_bin(static_cast<std::uint32_t>(count * sizeof(double)));
  const std::span<double> body = reply_.array(header.bytes, count);
  if (copy_input) std::copy(request.data.begin(), request.data.end(), body.begin());
  return body;
}

void MsgpackBin::Writer::finish_value(double value) {
  ByteSink reply;
  pack_value_reply(reply, value);
  std::memcpy(reply_.whole(reply.bytes.size()), reply.bytes.data(), reply.bytes.size());
}

void MsgpackList::Writer::finish_array() {
  sink_.bytes.reserve(16 + result_.size() * (1 + sizeof(double)));  // 0xcb + 8 bytes each
  msgpack::packer<ByteSink> packer(sink_);
  pack_data_key(packer);
  packer.pack_array(static_cast<std::uint32_t>(result_.size()));
  for (const double value : result_) pack_float64(sink_, value);
}

void MsgpackList::Writer::finish_value(double value) {
  pack_value_reply(sink_, value);
}

}  // namespace interop_bench::serialization
