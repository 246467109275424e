// The MessagePack message format with msgpack-c++ (header-only, 4.x):
//   request  map {"op": "sum"|"square"|"matrix_sum"|"scale", "shape": [n] or [rows, cols],
//                 "data": <values, row-major>, "k": float (scale only)}
//   reply    map {"value": float64} (sum, matrix_sum) or {"data": <values>} (square, scale)
// <values> is, for MsgpackBin, one bin holding the little-endian float64 bytes
// (8 bytes per value), for MsgpackList an array of floats. Keys may come in any
// order; unknown or repeated keys, other types and trailing bytes are refused.
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
  // align a bin, and the kernels read 8-aligned doubles.
  static Request decode(std::span<const std::uint8_t> message);

  // The reply's header is packed first, then the kernel writes its result
  // straight into the bin's body, placed 8-aligned in the reply buffer.
  class Writer {
   public:
    std::span<double> array(Request& request, bool copy_input);
    void finish_array() {}
    void finish_value(double value);
    std::span<const std::uint8_t> bytes() const { return reply_.bytes(); }

   private:
    AlignedReply reply_;
  };
};

struct MsgpackList {
  // Each element becomes one msgpack::object (in the unpacker's zone), then a
  // double in Request::owned.
  static Request decode(std::span<const std::uint8_t> message);

  class Writer : public InPlaceResult {
   public:
    void finish_array();
    void finish_value(double value);
    std::span<const std::uint8_t> bytes() const { return sink_.bytes; }

   private:
    ByteSink sink_;
  };
};

}  // namespace interop_bench::serialization
