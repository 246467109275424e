#include "simdjson_codec.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace interop_bench::serialization {
namespace {

namespace ondemand = simdjson::ondemand;

// A JSON number takes at least one digit and one separator.
constexpr std::size_t min_bytes_per_number = 2;
// The longest shortest-round-trip double, "-2.2250738585072014e-308", and a comma.
constexpr std::size_t max_chars_per_number = 25;

[[noreturn]] void fail(std::string_view what, simdjson::error_code error) {
  throw MessageError("json: " + std::string(what) + ": " + simdjson::error_message(error));
}

template <class T, class Result>
T get(Result&& result, std::string_view what) {
  T value{};
  if (const auto error = std::forward<Result>(result).get(value)) fail(what, error);
  return value;
}

// The values of a JSON array, refused on the first element that is not a number.
void read_data(ondemand::value value, std::uint64_t claimed, std::size_t message_bytes,
               std::vector<double>& out) {
  out.reserve(bounded_reserve(claimed, message_bytes, min_bytes_per_number));
  for (auto element : get<ondemand::array>(value.get_array(), "\"data\" must be an array")) {
    double number = 0.0;
    if (const auto error = element.get_double().get(number)) {
      fail("\"data\"[" + std::to_string(out.size()) + "] must be a number", error);
    }
    out.push_back(number);
  }
}

void read_shape(ondemand::value value, Shape& shape) {
  for (auto dim : get<ondemand::array>(value.get_array(), "\"shape\" must be an array")) {
    shape.push(get<std::uint64_t>(dim.get_uint64(), "\"shape\" must hold non-negative integers"));
  }
}

// Copies the message where simdjson may read past its end.
std::span<const char> padded_copy(std::span<const std::uint8_t> message) {
  thread_local std::vector<char> buffer;
  if (buffer.size() < message.size() + simdjson::SIMDJSON_PADDING) {
    buffer.resize(message.size() + simdjson::SIMDJSON_PADDING);
  }
  if (!message.empty()) std::memcpy(buffer.data(), message.data(), message.size());
  std::memset(buffer.data() + message.size(), 0, simdjson::SIMDJSON_PADDING);
  return {buffer.data(), buffer.size()};
}

}  // namespace

Request SimdJson::decode(std::span<const std::uint8_t> message) {
  thread_local ondemand::parser parser;
  const std::span<const char> padded = padded_copy(message);
  auto document = get<ondemand::document>(
      parser.iterate(padded.data(), message.size(), padded.size()), "invalid JSON");
  Request request;
  Shape shape;
  bool seen_op = false, seen_shape = false, seen_data = false, seen_k = false;
  for (auto field : get<ondemand::object>(document.get_object(), "the message must be an object")) {
    const auto key = get<std::string_view>(field.unescaped_key(), "invalid key");
    auto value = get<ondemand::value>(field.value(), "invalid value");
    bool* seen = key == "op"      ? &seen_op
                 : key == "shape" ? &seen_shape
                 : key == "data"  ? &seen_data
                 : key == "k"     ? &seen_k
                                  : nullptr;
    if (seen == nullptr) {
      throw MessageError("json: unknown key \"" + std::string(key.substr(0, 32)) + "\"");
    }
    if (*seen) throw MessageError("json: key \"" + std::string(key) + "\" appears twice");
    *seen = true;
    if (seen == &seen_op) {
      const auto name = get<std::string_view>(value.get_string(), "\"op\" must be a string");
      const auto op = op_from_name(name);
      if (!op) throw MessageError("json: unknown op \"" + std::string(name.substr(0, 32)) + "\"");
      request.op = *op;
    } else if (seen == &seen_shape) {
      read_shape(value, shape);
    } else if (seen == &seen_data) {
      read_data(value, shape.claimed_elements(), message.size(), request.owned);
    } else {
      request.k = get<double>(value.get_double(), "\"k\" must be a number");
    }
  }
  // simdjson 3.0 has no document::at_end(): a location past the object means trailing text.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    throw MessageError("json: trailing content after the message");
  }
  if (!seen_op || !seen_shape || !seen_data) {
    throw MessageError("json: the message needs \"op\", \"shape\" and \"data\"");
  }
  request.data = request.owned;
  check_request(request, shape, seen_k);
  return request;
}

char* SimdJson::Writer::reserve(std::size_t capacity) {
  text_.reset(new char[capacity]);
  return text_.get();
}

void SimdJson::Writer::finish_array() {
  require_finite(result_, "result");
  constexpr std::string_view head = R"({"data":[)";
  const std::size_t capacity = head.size() + 2 + result_.size() * max_chars_per_number;
  char* const begin = reserve(capacity);
  char* const end = begin + capacity;
  char* out = std::copy(head.begin(), head.end(), begin);
  for (std::size_t i = 0; i < result_.size(); ++i) {
    if (i) *out++ = ',';
    out = std::to_chars(out, end, result_[i]).ptr;
  }
  *out++ = ']';
  *out++ = '}';
  size_ = static_cast<std::size_t>(out - begin);
}

void SimdJson::Writer::finish_value(double value) {
  require_finite({&value, 1}, "result");
  constexpr std::string_view head = R"({"value":)";
  char* const begin = reserve(head.size() + max_chars_per_number + 1);
  char* out = std::copy(head.begin(), head.end(), begin);
  out = std::to_chars(out, begin + head.size() + max_chars_per_number, value).ptr;
  *out++ = '}';
  size_ = static_cast<std::size_t>(out - begin);
}

}  // namespace interop_bench::serialization
