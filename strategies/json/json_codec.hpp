// The JSON message format with nlohmann/json, shared in meaning with json_fast:
//   request  {"op": "sum"|"square"|"matrix_sum"|"scale"|"frame",
//             "shape": [n], or [rows, cols] for matrix_sum and frame,
//             "dtype": "float64"|"float32"|"int32"|"int16"|"uint8",
//             "data": [numbers, row-major; a frame's rows x cols x 3 pixel values],
//             "k": number (scale only)}
//   reply    {"value": number} (sum, matrix_sum) or
//            {"dtype": name, "data": [numbers]} (square, scale; frame: rows x cols uint8)
// Integer dtypes travel as JSON integers (a value outside the dtype's range,
// or with a fraction or exponent, is refused), floats as JSON numbers. Keys may
// come in any order, except that "dtype" precedes "data" (the values are
// decoded into their type as they are read); unknown or repeated keys, other
// types and trailing text are refused.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "bridge/request.hpp"

namespace interop_bench::serialization {

struct NlohmannJson {
  // Parses with nlohmann's SAX interface straight into Request::owned (no DOM):
  // faster than json::parse + get<std::vector<double>>() (see harness/json_decode_bench.cpp)
  // and a nested array is refused at the first '[' too many.
  static Request decode(std::span<const std::uint8_t> message);

  // Encodes through nlohmann's DOM and dump(): the library has no streaming writer.
  class Writer : public InPlaceResult {
   public:
    void finish_array();
    void finish_value(const Number& value);
    std::span<const std::uint8_t> bytes() const {
      return {reinterpret_cast<const std::uint8_t*>(text_.data()), text_.size()};
    }

   private:
    std::string text_;
  };
};

}  // namespace interop_bench::serialization
