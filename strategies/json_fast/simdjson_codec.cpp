#include "simdjson_codec.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
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

[[noreturn]] void refuse_element(std::size_t index, DType dtype, simdjson::error_code error) {
  fail("\"data\"[" + std::to_string(index) + "] must be " +
           (dtype == DType::float64 || dtype == DType::float32 ? "a number" : "an integer") +
           " within " + std::string(dtype_name(dtype)) + "'s range",
       error);
}

// One element as a T: floats from any JSON number, integers from a JSON
// integer (a float is refused, never truncated) within T's range.
template <class T>
T read_element(ondemand::value element, std::size_t index) {
  std::optional<T> typed;
  simdjson::error_code error = simdjson::NUMBER_OUT_OF_RANGE;
  if constexpr (std::is_floating_point_v<T>) {
    double number = 0.0;
    error = element.get_double().get(number);
    if (!error) typed = value_of<T>(number);
  } else {
    std::int64_t number = 0;
    error = element.get_int64().get(number);
    if (!error) typed = value_of<T>(number);
  }
  if (!typed) refuse_element(index, dtype_of<T>(), error ? error : simdjson::NUMBER_OUT_OF_RANGE);
  return *typed;
}

// The values of a JSON array as T, refused on the first element that is not one.
template <class T>
void read_data(ondemand::value value, std::uint64_t claimed, std::size_t message_bytes,
               std::vector<T>& out) {
  out.reserve(bounded_reserve(claimed, message_bytes, min_bytes_per_number));
  for (auto element : get<ondemand::array>(value.get_array(), "\"data\" must be an array")) {
    out.push_back(
        read_element<T>(get<ondemand::value>(std::move(element), "invalid value"), out.size()));
  }
}

// scale's factor as the message spells it: an integer stays one.
Number read_number(ondemand::value value) {
  ondemand::number number;
  if (const auto error = value.get_number().get(number)) fail("\"k\" must be a number", error);
  switch (number.get_number_type()) {
    case ondemand::number_type::signed_integer:
      return number.get_int64();
    case ondemand::number_type::unsigned_integer:
      return number.get_uint64();
    default:
      return number.get_double();
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
  bool seen_op = false, seen_shape = false, seen_dtype = false, seen_data = false, seen_k = false;
  for (auto field : get<ondemand::object>(document.get_object(), "the message must be an object")) {
    const auto key = get<std::string_view>(field.unescaped_key(), "invalid key");
    auto value = get<ondemand::value>(field.value(), "invalid value");
    bool* seen = key == "op"      ? &seen_op
                 : key == "shape" ? &seen_shape
                 : key == "dtype" ? &seen_dtype
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
    } else if (seen == &seen_dtype) {
      const auto name = get<std::string_view>(value.get_string(), "\"dtype\" must be a string");
      const auto dtype = dtype_from_name(name);
      if (!dtype) {
        throw MessageError("json: unknown dtype \"" + std::string(name.substr(0, 32)) + "\"");
      }
      request.dtype = *dtype;
    } else if (seen == &seen_data) {
      // The values are decoded into their type as they are read (one pass).
      if (!seen_dtype) throw MessageError("json: \"dtype\" must come before \"data\"");
      visit_dtype(request.dtype, [&]<class T>(std::type_identity<T>) {
        read_data(value, shape.claimed_elements(), message.size(), request.own<T>());
      });
    } else {
      request.k = read_number(value);
    }
  }
  // simdjson 3.0 has no document::at_end(): a location past the object means trailing text.
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    throw MessageError("json: trailing content after the message");
  }
  if (!seen_op || !seen_shape || !seen_dtype || !seen_data) {
    throw MessageError("json: the message needs \"op\", \"shape\", \"dtype\" and \"data\"");
  }
  request.use_owned();
  check_request(request, shape, seen_k);
  return request;
}

char* SimdJson::Writer::reserve(std::size_t capacity) {
  text_.reset(new char[capacity]);
  return text_.get();
}

template <class T>
void SimdJson::Writer::write_array(std::span<const T> values) {
  require_finite(values, "result");
  const std::string_view dtype = dtype_name(dtype_of<T>());
  const std::string_view head[] = {R"({"dtype":")", dtype, R"(","data":[)"};
  std::size_t capacity = 2 + values.size() * max_chars_per_number;
  for (const std::string_view part : head) capacity += part.size();
  char* const begin = reserve(capacity);
  char* const end = begin + capacity;
  char* out = begin;
  for (const std::string_view part : head) out = std::copy(part.begin(), part.end(), out);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) *out++ = ',';
    // Shortest round-trip digits for floats (float32's own: it widens exactly
    // back), plain digits for integers.
    out = std::to_chars(out, end, values[i]).ptr;
  }
  *out++ = ']';
  *out++ = '}';
  size_ = static_cast<std::size_t>(out - begin);
}

void SimdJson::Writer::finish_array() {
  visit_dtype(result_dtype_,
              [&]<class T>(std::type_identity<T>) { write_array(result_values<T>()); });
}

void SimdJson::Writer::finish_value(const Number& value) {
  if (const double* real = std::get_if<double>(&value)) require_finite({real, 1}, "result");
  constexpr std::string_view head = R"({"value":)";
  char* const begin = reserve(head.size() + max_chars_per_number + 3);
  char* out = std::copy(head.begin(), head.end(), begin);
  char* const end = begin + head.size() + max_chars_per_number;
  char* const digits = out;
  out = std::visit([&](auto scalar) { return std::to_chars(out, end, scalar).ptr; }, value);
  // A float answer reads as a float: to_chars writes 1.0 as "1".
  if (std::holds_alternative<double>(value) &&
      std::string_view(digits, static_cast<std::size_t>(out - digits)).find_first_of(".e") ==
          std::string_view::npos) {
    out = std::copy_n(".0", 2, out);
  }
  *out++ = '}';
  size_ = static_cast<std::size_t>(out - begin);
}

}  // namespace interop_bench::serialization
