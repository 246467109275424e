// The FlatBuffers messages of array.fbs. Every incoming buffer is checked by
// flatbuffers::Verifier (bounded depth and table count) before a field is
// read; the values are then read in place, without a copy.
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
    // Room for the result inside the reply buffer, so the kernel writes its
    // output where it is sent from; `copy_input` fills it with the request's values.
    std::span<std::byte> array(Request& request, bool copy_input);
    void finish_array();
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const {
      return {builder_.GetBufferPointer(), builder_.GetSize()};
    }

   private:
    flatbuffers::FlatBufferBuilder builder_;
    flatbuffers::Offset<flatbuffers::Vector<double>> data_;
  };
};

}  // namespace interop_bench::serialization
