#include "msgpack_codec.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "interop_bench/huge_pages.hpp"

namespace interop_bench::serialization {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the bin carries little-endian values, copied as they are");

// A request is one map of at most 5 keys holding at most one array (shape, or
// the values of MsgpackList): deeper, longer or other is hostile.
constexpr std::size_t max_keys = 5;
constexpr std::size_t max_depth = 2;          // the root map, one array inside it
constexpr std::size_t max_string_bytes = 16;  // the longest key or op name is 10
constexpr std::size_t max_ext_bytes = 0;      // no ext type is part of the format
constexpr std::size_t max_bin_bytes = std::numeric_limits<std::uint32_t>::max();

enum class Values { bin, list };

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

// A number as the message holds it: an integer stays an integer.
std::optional<Number> number(const msgpack::object& o) noexcept {
  switch (o.type) {
    case msgpack::type::FLOAT64:
    case msgpack::type::FLOAT32:  // widened into via.f64 exactly
      return Number(o.via.f64);
    case msgpack::type::POSITIVE_INTEGER:
      return Number(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return Number(o.via.i64);
    default:
      return std::nullopt;
  }
}

// One element of a list as a T (see value_of), without a Number in between.
// Floats take integers too: msgpack-c++'s own pack_double writes an integral
// double (1.0) as an integer, so its clients send them.
template <class T>
std::optional<T> element(const msgpack::object& o) noexcept {
  switch (o.type) {
    case msgpack::type::FLOAT64:
    case msgpack::type::FLOAT32:
      return value_of<T>(o.via.f64);
    case msgpack::type::POSITIVE_INTEGER:
      return value_of<T>(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return value_of<T>(o.via.i64);
    default:
      return std::nullopt;
  }
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

DType read_dtype(const msgpack::object& o) {
  const std::string_view name = text(o, "\"dtype\"");
  const auto dtype = dtype_from_name(name);
  if (!dtype) throw MessageError("msgpack: unknown dtype \"" + std::string(name) + "\"");
  return *dtype;
}

// Room for `count` decoded values of T, with huge pages as NumPy gives its own
// large arrays (else the comparison measures page faults, see huge_pages.hpp).
template <class T>
std::vector<T>& reserve_values(Request& request, std::size_t count) {
  std::vector<T>& values = request.own<T>();
  values.reserve(count);
  advise_huge_pages(values.data(), count * sizeof(T));
  return values;
}

// A value at any address: a bin's body has no alignment in MessagePack.
template <class T>
struct [[gnu::packed]] Unaligned {
  T value;
  operator T() const { return value; }
};

template <class T>
void read_bin(const msgpack::object& o, Request& request) {
  const std::string_view dtype = dtype_name(dtype_of<T>());
  if (o.type != msgpack::type::BIN) {
    throw wrong_type("\"data\"",
                     ("a bin of little-endian " + std::string(dtype) + " bytes").c_str(), o);
  }
  const std::size_t bytes = o.via.bin.size;
  if (bytes % sizeof(T) != 0) {
    throw MessageError("msgpack: \"data\" holds " + std::to_string(bytes) +
                       " bytes, not a whole number of " + std::string(dtype) + " values (" +
                       std::to_string(sizeof(T)) + " bytes each)");
  }
  // One pass, without zeroing the vector first as resize() + memcpy would.
  const auto* first = reinterpret_cast<const Unaligned<T>*>(o.via.bin.ptr);
  reserve_values<T>(request, bytes / sizeof(T)).assign(first, first + bytes / sizeof(T));
  request.use_owned();
}

template <class T>
void read_list(const msgpack::object& o, Request& request) {
  if (o.type != msgpack::type::ARRAY) throw wrong_type("\"data\"", "an array of numbers", o);
  const std::span elements(o.via.array.ptr, o.via.array.size);
  std::vector<T>& values = reserve_values<T>(request, elements.size());
  for (const msgpack::object& item : elements) {
    const std::optional<T> value = element<T>(item);
    if (!value) {
      const std::string what = "\"data\"[" + std::to_string(values.size()) + "]";
      const auto given = number(item);
      if (!given) throw wrong_type(what.c_str(), "a number", item);
      throw MessageError("msgpack: " + what + " = " + to_string(*given) + " does not fit " +
                         std::string(dtype_name(dtype_of<T>())));
    }
    values.push_back(*value);
  }
  request.use_owned();
}

Request decode(std::span<const std::uint8_t> message, Values values) {
  const msgpack::object_handle handle = unpack(message);
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::MAP) throw wrong_type("the message", "a map", root);
  Request request;
  Shape shape;
  const msgpack::object* data = nullptr;  // read last, once the dtype is known
  bool has_op = false, has_shape = false, has_dtype = false, has_data = false, has_k = false;
  for (const msgpack::object_kv& field : std::span(root.via.map.ptr, root.via.map.size)) {
    const std::string_view key = text(field.key, "a key");
    bool* seen = key == "op"      ? &has_op
                 : key == "shape" ? &has_shape
                 : key == "dtype" ? &has_dtype
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
    } else if (key == "dtype") {
      request.dtype = read_dtype(field.val);
    } else if (key == "data") {
      data = &field.val;
    } else {
      const auto k = number(field.val);
      if (!k) throw wrong_type("\"k\"", "a number", field.val);
      request.k = *k;
    }
  }
  if (!has_op || !has_shape || !has_dtype || !has_data) {
    throw MessageError("msgpack: the message needs \"op\", \"shape\", \"dtype\" and \"data\"");
  }
  visit_dtype(request.dtype, [&]<class T>(std::type_identity<T>) {
    values == Values::bin ? read_bin<T>(*data, request) : read_list<T>(*data, request);
  });
  check_request(request, shape, has_k);
  return request;
}

// A float64 (0xcb + 8 big-endian bytes) or float32 (0xca + 4) whatever its
// value. msgpack-c++ 4.1.3's pack_double writes an integral double as an
// integer, and -0.0 as 0: the sign of zero would be lost, and the reply's
// types would depend on its values.
void pack_float(ByteSink& sink, double value) {
  const std::uint64_t big_endian = __builtin_bswap64(std::bit_cast<std::uint64_t>(value));
  sink.bytes.push_back(0xcb);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&big_endian);
  sink.bytes.insert(sink.bytes.end(), bytes, bytes + sizeof big_endian);
}

void pack_float(ByteSink& sink, float value) {
  const std::uint32_t big_endian = __builtin_bswap32(std::bit_cast<std::uint32_t>(value));
  sink.bytes.push_back(0xca);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&big_endian);
  sink.bytes.insert(sink.bytes.end(), bytes, bytes + sizeof big_endian);
}

// One value of a list reply: floats as floats of their width, integers as
// MessagePack integers (the shortest encoding of each value, as packb writes).
template <class T>
void pack_value(msgpack::packer<ByteSink>& packer, ByteSink& sink, T value) {
  if constexpr (std::is_floating_point_v<T>) {
    pack_float(sink, value);
  } else {
    packer.pack(value);
  }
}

void pack_value_reply(ByteSink& sink, const Number& value) {
  msgpack::packer<ByteSink> packer(sink);
  packer.pack_map(1);
  packer.pack(std::string_view("value"));
  std::visit(
      [&](auto scalar) {
        if constexpr (std::is_floating_point_v<decltype(scalar)>) {
          pack_float(sink, scalar);
        } else {
          packer.pack(scalar);
        }
      },
      value);
}

// The head of an array reply, up to the values: {"dtype": name, "data": ...
template <class Stream>
void pack_array_head(msgpack::packer<Stream>& packer, DType dtype) {
  packer.pack_map(2);
  packer.pack(std::string_view("dtype"));
  packer.pack(dtype_name(dtype));
  packer.pack(std::string_view("data"));
}

}  // namespace

Request MsgpackBin::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::bin);
}

Request MsgpackList::decode(std::span<const std::uint8_t> message) {
  return serialization::decode(message, Values::list);
}

std::span<std::byte> MsgpackBin::Writer::array(Request& request, bool copy_input) {
  const std::size_t bytes = result_bytes(request);
  ByteSink header;
  // Reachable only from a bin that held as many bytes: a bin's size is 32 bits.
  msgpack::packer<ByteSink> packer(header);
  pack_array_head(packer, result_dtype(request));
  packer.pack_bin(static_cast<std::uint32_t>(bytes));
  const std::span<std::byte> body = reply_.array(header.bytes, bytes);
  if (copy_input) std::copy(request.data.begin(), request.data.end(), body.begin());
  return body;
}

void MsgpackBin::Writer::finish_value(const Number& value) {
  ByteSink reply;
  pack_value_reply(reply, value);
  std::memcpy(reply_.whole(reply.bytes.size()), reply.bytes.data(), reply.bytes.size());
}

void MsgpackList::Writer::finish_array() {
  visit_dtype(result_dtype_, [&]<class T>(std::type_identity<T>) {
    const std::span<const T> result = result_values<T>();
    sink_.bytes.reserve(32 + result.size() * (1 + sizeof(T)));  // a type byte + the value at most
    msgpack::packer<ByteSink> packer(sink_);
    pack_array_head(packer, result_dtype_);
    packer.pack_array(static_cast<std::uint32_t>(result.size()));
    for (const T value : result) pack_value(packer, sink_, value);
  });
}

void MsgpackList::Writer::finish_value(const Number& value) {
  pack_value_reply(sink_, value);
}

}  // namespace interop_bench::serialization
