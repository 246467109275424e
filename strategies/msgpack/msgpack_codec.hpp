// The MessagePack message format with msgpack-c++ (header-only, 4.x):
//   request  map {"op": "sum"|"square"|"matrix_sum"|"scale"|"frame",
//                 "shape": [n], or [rows, cols] for matrix_sum and frame,
//                 "dtype": "float64"|"float32"|"int32"|"int16"|"uint8",
//                 "data": <values, row-major; a frame's rows x cols x 3 pixel values>,
//                 "k": number (scale only; an integer for integer dtypes)}
//   reply    map {"value": number} (sum, matrix_sum: a float for floats, an
//                 integer for integers) or {"dtype": name, "data": <values>}
//                 (square, scale; frame: rows x cols uint8)
// <values> is, for MsgpackBin, one bin holding the values' little-endian bytes
// (the dtype's size per value), for MsgpackList an array of numbers: integers
// for integer dtypes (within the dtype's range; a float is refused), floats (or
// integers) for float dtypes. Keys may come in any order; unknown or repeated
// keys, other types and trailing bytes are refused.
// Decoding runs under msgpack-c++'s unpack limits (sizes, depth) so that a
// hostile message cannot make it allocate more than a small multiple of its size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "bridge/aligned_reply.hpp"
#include "bridge/request.hpp"

namespace interop_bench::serialization {

// The bytes a msgpack::packer writes (its stream needs only write()).
struct ByteSink {
  std::vector<std::uint8_t> bytes;
  void write(const char* data, std::size_t size) { bytes.insert(bytes.end(), data, data + size); }
};

struct MsgpackBin {
  // The bin's bytes are copied once into Request::owned: MessagePack does not
  // align a bin, and the kernels read values aligned for their type.
  static Request decode(std::span<const std::uint8_t> message);

  // The reply's header is packed first, then the kernel writes its result
  // straight into the bin's body, placed 8-aligned in the reply buffer.
  class Writer {
   public:
    std::span<std::byte> array(Request& request, bool copy_input);
    void finish_array() {}
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

   private:
    AlignedReply reply_;
  };
};

struct MsgpackList {
  // Each element becomes one msgpack::object (in the unpacker's zone), then a
  // value of the dtype in Request::owned.
  static Request decode(std::span<const std::uint8_t> message);

  class Writer : public InPlaceResult {
   public:
    void finish_array();
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const { return sink_.bytes; }

   private:
    ByteSink sink_;
  };
};

}  // namespace interop_bench::serialization
