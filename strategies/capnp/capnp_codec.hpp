// The Cap'n Proto messages of array.capnp (Debian's capnproto 0.9), in the
// standard single-message framing (a segment table, then the segments).
//
// Every incoming message is read by capnp::FlatArrayMessageReader straight
// over the received bytes, which must be 8-byte aligned (they are refused, not
// copied, when they are not: Python always sends aligned buffers), under a
// traversal limit of the message's own size in words (a message that points
// twice at the same data to look bigger than it is exceeds it) and a small
// nesting limit. Every kj::Exception the reader throws becomes a MessageError.
//
// CapnpData: the values are one Data blob of their little-endian bytes and a
// dtype code, read in place (no copy); the kernel writes the reply's values
// straight into the reply's Data.
// CapnpList: the values are the List of their type (List(Float64), ...(Float32),
// ...(Int32), ...(Int16), ...(UInt8)), read element by element through the
// typed List<T>::Reader into Request::owned (the only public way to read
// it); the reply's list of the same type is set element by element.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "array.capnp.h"
#include "bridge/request.hpp"

namespace interop_bench::serialization {

// One reply message in one buffer: a one-word segment table, then its single
// segment, built in place by capnp::FlatMessageBuilder, so that the reply is
// never copied into a flat array after it is built (messageToFlatArray would).
class ReplyMessage {
 public:
  // A Reply whose body (the Data or list after the Reply struct) takes
  // `body_words` words. Only the words capnp writes into before the body and
  // the body's last word (its padding) are zeroed: the values overwrite the
  // rest in full before the reply is read.
  capnp_schema::Reply::Builder start(std::size_t body_words);
  // Writes the segment table; throws if the message did not fill its buffer.
  void finish();
  // A whole reply holding `value` (value, intValue or uintValue).
  void finish_value(const Number& value);
  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(storage_.get()), words_ * sizeof(capnp::word)};
  }

 private:
  std::unique_ptr<capnp::word[]> storage_;
  std::size_t words_ = 0;
  std::optional<capnp::FlatMessageBuilder> builder_;
};

struct CapnpData {
  static Request decode(std::span<const std::uint8_t> message);

  class Writer {
   public:
    // Room for the result inside the reply's Data; `copy_input` fills it with
    // the request's values (square).
    std::span<std::byte> array(Request& request, bool copy_input);
    void finish_array() { reply_.finish(); }
    void finish_value(const Number& value) { reply_.finish_value(value); }
    std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

   private:
    ReplyMessage reply_;
  };
};

struct CapnpList {
  static Request decode(std::span<const std::uint8_t> message);

  class Writer : public InPlaceResult {
   public:
    void finish_array();
    void finish_value(const Number& value) { reply_.finish_value(value); }
    std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

   private:
    ReplyMessage reply_;
  };
};

}  // namespace interop_bench::serialization
