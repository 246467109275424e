// The FlatBuffers messages of array.fbs. Every incoming buffer is checked by
// flatbuffers::Verifier (bounded depth and table count) before a field is
// read; the values are then read in place, without a copy, from the typed
// vector of their element type (the one present is the request's dtype).
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <span>

#include "bridge/request.hpp"

namespace interop_bench::serialization {

struct FlatBuffers {
  // Refuses (MessageError) a buffer that is not 8-byte aligned, is larger than
  // FlatBuffers can address, fails verification or breaks the op's rules.
  static Request decode(std::span<const std::uint8_t> message);

  class Writer {
   public:
    // Room for the result inside the reply buffer, in the reply's vector of
    // the result's type, so the kernel writes its output where it is sent
    // from; `copy_input` fills it with the request's values.
    std::span<std::byte> array(Request& request, bool copy_input);
    void finish_array();
    // `value` in the Reply field of its type (value, int_value, uint_value).
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const {
      return {builder_.GetBufferPointer(), builder_.GetSize()};
    }

   private:
    flatbuffers::FlatBufferBuilder builder_;
    flatbuffers::uoffset_t data_ = 0;  // the result's vector
    DType data_dtype_ = DType::float64;
  };
};

}  // namespace interop_bench::serialization
