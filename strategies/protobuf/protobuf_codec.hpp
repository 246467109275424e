// The protobuf messages of protobuf_array.proto with Debian's libprotobuf (3.21):
//   ProtobufBytes   Request {op, shape, data: bytes of little-endian float64, k}
//   ProtobufPacked  PackedRequest {op, shape, values: packed repeated double, k}
// Both reply with the same wire layout (Reply / PackedReply): field 1 the
// scalar answer, or field 2 the values as one length-delimited run of doubles.
// Every message is parsed under limits (total bytes = the message's size, a
// small recursion limit); unknown fields, an unknown op and what
// check_request refuses are refused by name.
#pragma once

#include <cstdint>
#include <span>

#include "bridge/aligned_reply.hpp"
#include "bridge/request.hpp"

namespace interop_bench::serialization {

// The reply's header is written with protobuf's wire-format helpers, then the
// kernel writes its result straight into the body, placed 8-aligned; a scalar
// reply is serialized from the generated Reply.
class ProtobufReplyWriter {
 public:
  std::span<std::byte> array(Request& request, bool copy_input);
  void finish_array() {}
  void finish_value(const Number& value);
  std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

 private:
  AlignedReply reply_;
};

struct ProtobufBytes {
  // The parser copies the bytes field into a std::string; the values are read
  // there in place (heap strings are 8-aligned), copied once more only if not.
  static Request decode(std::span<const std::uint8_t> message);
  using Writer = ProtobufReplyWriter;
};

struct ProtobufPacked {
  // The parser copies the packed doubles into a RepeatedField<double>, read
  // there in place.
  static Request decode(std::span<const std::uint8_t> message);
  using Writer = ProtobufReplyWriter;
};

}  // namespace interop_bench::serialization
