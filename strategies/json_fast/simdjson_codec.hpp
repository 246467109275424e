// The JSON message format of strategies/json/json_codec.hpp, read with
// simdjson's On-Demand API and written with std::to_chars (shortest
// round-trip digits; simdjson 3.0 has no writer).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "bridge/request.hpp"

namespace interop_bench::serialization {

struct SimdJson {
  // Copies the message into a reused, padded per-thread buffer (simdjson reads
  // SIMDJSON_PADDING bytes past the end) and iterates it On-Demand with a
  // reused per-thread parser, straight into Request::owned.
  static Request decode(std::span<const std::uint8_t> message);

  class Writer : public InPlaceResult {
   public:
    void finish_array();
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const {
      return {reinterpret_cast<const std::uint8_t*>(text_.get()), size_};
    }

   private:
    char* reserve(std::size_t capacity);
    template <class T>
    void write_array(std::span<const T> values);

    std::unique_ptr<char[]> text_;  // uninitialised: the writer fills what it uses
    std::size_t size_ = 0;
  };
};

}  // namespace interop_bench::serialization
