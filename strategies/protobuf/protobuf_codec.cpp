#include "protobuf_codec.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "protobuf_array.pb.h"

namespace interop_bench::serialization {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the data field carries little-endian values, read as they are");
// The .proto's DType codes are the bridge's (checked_dtype reads them).
static_assert(pb::FLOAT64 == static_cast<int>(DType::float64) &&
              pb::FLOAT32 == static_cast<int>(DType::float32) &&
              pb::INT32 == static_cast<int>(DType::int32) &&
              pb::INT16 == static_cast<int>(DType::int16) &&
              pb::UINT8 == static_cast<int>(DType::uint8));

using google::protobuf::RepeatedField;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// No message of protobuf_array.proto nests another: a small limit bounds what unknown
// groups could nest before they are refused.
constexpr int max_recursion = 4;
constexpr std::uint32_t length_delimited = 2;  // the wire type of bytes and packed fields
// Field 2 of Reply and PackedReply: bytes, or the packed doubles.
static_assert(pb::Reply::kDataFieldNumber == 2 && pb::PackedReply::kValuesFieldNumber == 2);
// PackedReply's field of each dtype's values, in DType's order.
constexpr std::uint32_t packed_reply_fields[dtype_count] = {
    pb::PackedReply::kValuesFieldNumber, pb::PackedReply::kFloat32ValuesFieldNumber,
    pb::PackedReply::kInt32ValuesFieldNumber, pb::PackedReply::kInt16ValuesFieldNumber,
    pb::PackedReply::kUint8ValuesFieldNumber};
// PackedRequest's field of each dtype's values, in DType's order, for errors.
constexpr const char* packed_request_fields[dtype_count] = {
    "values", "float32_values", "int32_values", "int16_values", "uint8_values"};

// A tag of a length-delimited field and the length, as a varint32, into
// `header` (room for 10 bytes); returns their size.
std::size_t write_length_header(std::uint32_t field, std::size_t length, std::uint8_t* header) {
  // Fits: callers check that the reply stays under protobuf's 2 GiB.
  std::uint8_t* end = CodedOutputStream::WriteVarint32ToArray(
      static_cast<std::uint32_t>(length),
      CodedOutputStream::WriteTagToArray((field << 3) | length_delimited, header));
  return static_cast<std::size_t>(end - header);
}

// The varint of each integer dtype's packed field: int32 as int32 (a negative
// one takes 10 bytes: protobuf sign-extends it), int16 as sint32 (zigzag),
// uint8 as uint32.
std::size_t varint_size(std::int32_t value) {
  return WireFormatLite::Int32Size(value);
}
std::size_t varint_size(std::int16_t value) {
  return WireFormatLite::SInt32Size(value);
}
std::size_t varint_size(std::uint8_t value) {
  return WireFormatLite::UInt32Size(value);
}
std::uint8_t* write_varint(std::int32_t value, std::uint8_t* out) {
  return WireFormatLite::WriteInt32NoTagToArray(value, out);
}
std::uint8_t* write_varint(std::int16_t value, std::uint8_t* out) {
  return WireFormatLite::WriteSInt32NoTagToArray(value, out);
}
std::uint8_t* write_varint(std::uint8_t value, std::uint8_t* out) {
  return WireFormatLite::WriteUInt32NoTagToArray(value, out);
}

void require_under_2_gib(std::size_t reply_bytes) {
  if (reply_bytes > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw MessageError("protobuf: the reply would take " + std::to_string(reply_bytes) +
                       " bytes, more than protobuf parses (2 GiB - 1)");
  }
}

DType dtype_of_code(int code) {
  if (code < 0) throw MessageError("protobuf: unknown dtype " + std::to_string(code));
  return checked_dtype(static_cast<std::uint64_t>(code));
}

Op op_of(pb::Op op) {
  switch (op) {
    case pb::SUM:
      return Op::sum;
    case pb::SQUARE:
      return Op::square;
    case pb::MATRIX_SUM:
      return Op::matrix_sum;
    case pb::SCALE:
      return Op::scale;
    case pb::FRAME:
      return Op::frame;
    case pb::OP_UNSPECIFIED:
      throw MessageError("protobuf: the message needs an op");
    default:  // proto3 enums are open: any int32 parses
      throw MessageError("protobuf: unknown op " + std::to_string(static_cast<int>(op)));
  }
}

// `message` parsed as a Message, within limits, with no unknown field.
template <class Message>
std::shared_ptr<Message> parse(std::span<const std::uint8_t> message) {
  constexpr auto max_bytes = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (message.size() > max_bytes) {
    throw MessageError("protobuf: message of " + std::to_string(message.size()) +
                       " bytes is larger than protobuf parses (2 GiB - 1)");
  }
  const int size = static_cast<int>(message.size());
  google::protobuf::io::CodedInputStream input(message.data(), size);
  input.SetTotalBytesLimit(size);
  input.SetRecursionLimit(max_recursion);
  auto parsed = std::make_shared<Message>();
  if (!parsed->ParseFromCodedStream(&input) || !input.ConsumedEntireMessage()) {
    throw MessageError("protobuf: not a valid " + Message::GetDescriptor()->name() +
                       " message (truncated, malformed or nested too deep)");
  }
  const auto& unknown = parsed->GetReflection()->GetUnknownFields(*parsed);
  if (unknown.field_count() != 0) {
    throw MessageError("protobuf: unknown field " + std::to_string(unknown.field(0).number()) +
                       " (or one of the wrong wire type) in a " + Message::GetDescriptor()->name() +
                       " message");
  }
  return parsed;
}

// op, shape and the factor, then the checks every format shares.
template <class Message>
void finish_request(const Message& parsed, Request& request) {
  request.op = op_of(parsed.op());
  Shape shape;
  for (const std::uint64_t dim : parsed.shape()) shape.push(dim);
  if (parsed.factor_case() == Message::kK) request.k = parsed.k();
  if (parsed.factor_case() == Message::kIntK) request.k = parsed.int_k();
  check_request(request, shape, parsed.factor_case() != Message::FACTOR_NOT_SET);
}

// The sizes of PackedRequest's value fields, in DType's order.
std::array<int, dtype_count> value_counts(const pb::PackedRequest& parsed) {
  return {parsed.values_size(), parsed.float32_values_size(), parsed.int32_values_size(),
          parsed.int16_values_size(), parsed.uint8_values_size()};
}

// Refuses values in a field other than `dtype`'s.
void require_values_in(const pb::PackedRequest& parsed, DType dtype) {
  const std::array<int, dtype_count> counts = value_counts(parsed);
  for (std::size_t code = 0; code < dtype_count; ++code) {
    if (code != static_cast<std::size_t>(dtype) && counts[code] != 0) {
      throw MessageError(std::string("protobuf: a message of dtype ") +
                         std::string(dtype_name(dtype)) + " holds values in " +
                         packed_request_fields[code]);
    }
  }
}

// A field in place as the request's values.
template <class T>
void view_field(const RepeatedField<T>& field, Request& request) {
  request.view(std::span<const T>(field.data(), static_cast<std::size_t>(field.size())));
}

// A wider field (sint32 for int16, uint32 for uint8: protobuf has no narrower
// type) into Request::owned as T, refusing a value out of T's range by name.
template <class T, class Wire>
void narrow_field(const RepeatedField<Wire>& field, const char* name, Request& request) {
  std::vector<T>& values = request.own<T>();
  values.resize(static_cast<std::size_t>(field.size()));
  bool out_of_range = false;  // one flag, so that the loop vectorises
  for (int i = 0; i < field.size(); ++i) {
    out_of_range |= !std::in_range<T>(field[i]);
    values[static_cast<std::size_t>(i)] = static_cast<T>(field[i]);
  }
  if (out_of_range) {
    for (int i = 0; i < field.size(); ++i) {
      if (!std::in_range<T>(field[i])) {
        throw MessageError(std::string("protobuf: ") + name + "[" + std::to_string(i) +
                           "] = " + std::to_string(field[i]) + " does not fit " +
                           std::string(dtype_name(dtype_of<T>())));
      }
    }
  }
  request.use_owned();
}

}  // namespace

Request ProtobufBytes::decode(std::span<const std::uint8_t> message) {
  std::shared_ptr<const pb::Request> parsed = parse<pb::Request>(message);
  const std::string& bytes = parsed->data();
  Request request;
  request.view_bytes(dtype_of_code(parsed->dtype()),
                     {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  request.decoded = parsed;
  finish_request(*parsed, request);
  return request;
}

Request ProtobufPacked::decode(std::span<const std::uint8_t> message) {
  std::shared_ptr<const pb::PackedRequest> parsed = parse<pb::PackedRequest>(message);
  const DType dtype = dtype_of_code(parsed->dtype());
  require_values_in(*parsed, dtype);
  Request request;
  switch (dtype) {
    case DType::float64:
      view_field(parsed->values(), request);
      break;
    case DType::float32:
      view_field(parsed->float32_values(), request);
      break;
    case DType::int32:
      view_field(parsed->int32_values(), request);
      break;
    case DType::int16:
      narrow_field<std::int16_t>(parsed->int16_values(), "int16_values", request);
      break;
    case DType::uint8:
      narrow_field<std::uint8_t>(parsed->uint8_values(), "uint8_values", request);
      break;
  }
  request.decoded = parsed;
  finish_request(*parsed, request);
  return request;
}

void write_sum(AlignedReply& reply, const Number& value) {
  pb::Reply message;
  std::visit(
      [&](auto number) {
        using Type = decltype(number);
        if constexpr (std::is_same_v<Type, double>) {
          message.set_value(number);
        } else if constexpr (std::is_same_v<Type, std::int64_t>) {
          message.set_int_value(number);
        } else {
          message.set_uint_value(number);
        }
      },
      value);
  const std::size_t size = message.ByteSizeLong();
  message.SerializeWithCachedSizesToArray(reply.whole(size));
}

std::span<std::byte> ProtobufReplyWriter::array(Request& request, bool copy_input) {
  // Fits protobuf's 2 GiB: the request held as many bytes, or three times as many (frame).
  const std::size_t body_bytes = result_bytes(request);
  std::uint8_t header[10];
  const std::size_t header_size =
      write_length_header(pb::Reply::kDataFieldNumber, body_bytes, header);
  const std::span<std::byte> body = reply_.array({header, header_size}, body_bytes);
  if (copy_input) std::copy(request.data.begin(), request.data.end(), body.begin());
  return body;
}

std::span<std::byte> ProtobufPackedReplyWriter::array(Request& request, bool copy_input) {
  dtype_ = result_dtype(request);
  const std::size_t body_bytes = result_bytes(request);
  std::span<std::byte> out;
  if (dtype_ == DType::float64 || dtype_ == DType::float32) {  // fixed64 / fixed32: as they are
    std::uint8_t header[10];
    const std::size_t header_size = write_length_header(
        packed_reply_fields[static_cast<std::size_t>(dtype_)], body_bytes, header);
    out = reply_.array({header, header_size}, body_bytes);
  } else {
    varint_source_.resize(body_bytes);
    out = varint_source_;
  }
  if (copy_input) std::copy(request.data.begin(), request.data.end(), out.begin());
  return out;
}

void ProtobufPackedReplyWriter::finish_array() {
  if (dtype_ == DType::float64 || dtype_ == DType::float32) return;  // written in place
  visit_dtype(dtype_, [&](auto type) {
    using T = typename decltype(type)::type;
    if constexpr (std::is_integral_v<T>) {
      const std::span<const T> values(reinterpret_cast<const T*>(varint_source_.data()),
                                      varint_source_.size() / sizeof(T));
      std::size_t body_bytes = 0;
      for (const T value : values) body_bytes += varint_size(value);
      require_under_2_gib(body_bytes + 10);
      std::uint8_t header[10];
      const std::size_t header_size = write_length_header(
          packed_reply_fields[static_cast<std::size_t>(dtype_)], body_bytes, header);
      std::uint8_t* out = reply_.whole(header_size + body_bytes);
      out = std::copy(header, header + header_size, out);
      for (const T value : values) out = write_varint(value, out);
    }
  });
}

}  // namespace interop_bench::serialization
