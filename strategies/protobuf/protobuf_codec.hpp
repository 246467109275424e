// The protobuf messages of protobuf_array.proto with Debian's libprotobuf (3.21):
//   ProtobufBytes   Request {op, shape, data: little-endian bytes of `dtype`, k | int_k, dtype}
//   ProtobufPacked  PackedRequest {op, shape, the packed repeated field of `dtype`, k | int_k}
// Both reply with the same wire layout for a sum (Reply / PackedReply fields 1,
// 3, 4: a double, an int64, a uint64); an array reply is field 2 (bytes, or
// packed doubles) or the packed field of its type. Every message is parsed
// under limits (total bytes = the message's size, a small recursion limit);
// unknown fields, an unknown op or dtype and what check_request refuses are
// refused by name.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bridge/aligned_reply.hpp"
#include "bridge/request.hpp"

namespace interop_bench::serialization {

// A sum, serialized from the generated Reply (the same bytes as a PackedReply's).
void write_sum(AlignedReply& reply, const Number& value);

// ProtobufBytes' replies: the header of the bytes field is written with
// protobuf's wire-format helpers, then the kernel writes its result straight
// into the body, placed 8-aligned.
class ProtobufReplyWriter {
 public:
  std::span<std::byte> array(Request& request, bool copy_input);
  void finish_array() {}
  void finish_value(const Number& value) { write_sum(reply_, value); }
  std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

 private:
  AlignedReply reply_;
};

// ProtobufPacked's replies: float64 and float32 results are packed runs of
// fixed-size values, written by the kernel straight into the body like the
// bytes field; integer results are varints, which the kernel cannot write:
// it writes into a buffer of the writer's, which finish_array encodes.
class ProtobufPackedReplyWriter {
 public:
  std::span<std::byte> array(Request& request, bool copy_input);
  void finish_array();
  void finish_value(const Number& value) { write_sum(reply_, value); }
  std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

 private:
  AlignedReply reply_;
  DType dtype_ = DType::float64;
  std::vector<std::byte> varint_source_;  // the integer result before encoding
};

struct ProtobufBytes {
  // The parser copies the bytes field into a std::string; the values are read
  // there in place (heap strings are 8-aligned), copied once more only if not.
  static Request decode(std::span<const std::uint8_t> message);
  using Writer = ProtobufReplyWriter;
};

struct ProtobufPacked {
  // The parser copies the packed values into the RepeatedField of their type:
  // double, float and int32 are read there in place; int16 (sint32 on the
  // wire) and uint8 (uint32) are range-checked into Request::owned.
  static Request decode(std::span<const std::uint8_t> message);
  using Writer = ProtobufPackedReplyWriter;
};

}  // namespace interop_bench::serialization
