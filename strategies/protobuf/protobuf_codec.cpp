#include "protobuf_codec.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <string>

#include "protobuf_array.pb.h"

namespace interop_bench::serialization {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the data field carries little-endian float64 bytes, read as they are");

// No message of protobuf_array.proto nests another: a small limit bounds what unknown
// groups could nest before they are refused.
constexpr int max_recursion = 4;
// Field 2 of Reply and PackedReply, length-delimited (wire type 2).
constexpr std::uint32_t reply_values_tag = (2u << 3) | 2u;
static_assert(pb::Reply::kDataFieldNumber == 2 && pb::PackedReply::kValuesFieldNumber == 2);

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

// op, shape and k, then the checks every format shares.
template <class Message>
void finish_request(const Message& parsed, Request& request) {
  request.op = op_of(parsed.op());
  Shape shape;
  for (const std::uint64_t dim : parsed.shape()) shape.push(dim);
  request.k = parsed.k();
  check_request(request, shape, parsed.has_k());
}

}  // namespace

Request ProtobufBytes::decode(std::span<const std::uint8_t> message) {
  std::shared_ptr<const pb::Request> parsed = parse<pb::Request>(message);
  const std::string& bytes = parsed->data();
  if (bytes.size() % sizeof(double) != 0) {
    throw MessageError("protobuf: data holds " + std::to_string(bytes.size()) +
                       " bytes, not a whole number of float64 values (8 bytes each)");
  }
  Request request;
  // Read in place (kept alive by `decoded`), copied once only if misaligned.
  request.view_bytes(DType::float64,
                     {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  request.decoded = parsed;
  finish_request(*parsed, request);
  return request;
}

Request ProtobufPacked::decode(std::span<const std::uint8_t> message) {
  std::shared_ptr<const pb::PackedRequest> parsed = parse<pb::PackedRequest>(message);
  Request request;
  request.view(std::span<const double>(parsed->values().data(),
                                       static_cast<std::size_t>(parsed->values_size())));
  request.decoded = parsed;
  finish_request(*parsed, request);
  return request;
}

std::span<std::byte> ProtobufReplyWriter::array(Request& request, bool copy_input) {
  using google::protobuf::io::CodedOutputStream;
  // Fits: the request held as many bytes, and a message is under 2 GiB.
  const auto body_bytes = static_cast<std::uint32_t>(request.data.size());
  std::uint8_t header[1 + 5];  // the one-byte tag and a varint32
  const std::uint8_t* header_end = CodedOutputStream::WriteVarint32ToArray(
      body_bytes, CodedOutputStream::WriteTagToArray(reply_values_tag, header));
  const std::span<std::byte> body =
      reply_.array({header, static_cast<std::size_t>(header_end - header)}, body_bytes);
  if (copy_input) std::copy(request.data.begin(), request.data.end(), body.begin());
  return body;
}

void ProtobufReplyWriter::finish_value(const Number& value) {
  pb::Reply reply;
  reply.set_value(std::get<double>(value));
  const std::size_t size = reply.ByteSizeLong();
  reply.SerializeWithCachedSizesToArray(reply_.whole(size));
}

}  // namespace interop_bench::serialization
