#include "json_codec.hpp"

#include <nlohmann/json.hpp>

#include <string_view>

namespace interop_bench::serialization {
namespace {

using json = nlohmann::json;

// A JSON number takes at least one digit and one separator.
constexpr std::size_t min_bytes_per_number = 2;

// Receives nlohmann's parse events and accepts exactly the request format.
class RequestSax {
 public:
  explicit RequestSax(std::size_t message_bytes) : message_bytes_(message_bytes) {}

  bool null() { return refuse("null"); }
  bool boolean(bool) { return refuse("a boolean"); }
  bool number_integer(json::number_integer_t value) {
    if (state_ == State::shape) return refuse_text("shape must hold non-negative integers");
    return number(static_cast<double>(value));
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (state_ == State::shape) {
      shape_.push(value);
      return true;
    }
    return number(static_cast<double>(value));
  }
  bool number_float(json::number_float_t value, const json::string_t&) {
    if (state_ == State::shape) return refuse_text("shape must hold non-negative integers");
    return number(value);
  }
  bool string(json::string_t& value) {
    if (state_ != State::op_value) return refuse("a string");
    const auto op = op_from_name(value);
    if (!op) return refuse_text("unknown op \"" + value.substr(0, 32) + "\"");
    request_.op = *op;
    state_ = State::top;
    return true;
  }
  bool binary(json::binary_t&) { return refuse("binary data"); }
  bool start_object(std::size_t) {
    if (state_ != State::start) return refuse("an object");
    state_ = State::top;
    return true;
  }
  bool key(json::string_t& name);
  bool end_object() {
    state_ = State::done;
    return true;
  }
  bool start_array(std::size_t) {
    if (state_ == State::shape_value) {
      state_ = State::shape;
    } else if (state_ == State::data_value) {
      // Reserve what the shape announced, bounded by what the message can hold.
      request_.owned.reserve(
          bounded_reserve(shape_.claimed_elements(), message_bytes_, min_bytes_per_number));
      state_ = State::data;
    } else {
      return refuse("an array");
    }
    return true;
  }
  bool end_array() {
    state_ = State::top;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_ = "invalid JSON near byte " + std::to_string(position);
    return false;
  }

  Request finish() {
    if (!error_.empty()) throw MessageError("json: " + error_);
    if (!seen_op_ || !seen_shape_ || !seen_data_) {
      throw MessageError("json: the message needs \"op\", \"shape\" and \"data\"");
    }
    request_.data = request_.owned;
    check_request(request_, shape_, seen_k_);
    return std::move(request_);
  }

 private:
  enum class State { start, top, op_value, shape_value, shape, data_value, data, k_value, done };

  bool number(double value) {
    if (state_ == State::data) {
      request_.owned.push_back(value);
    } else if (state_ == State::k_value) {
      request_.k = value;
      state_ = State::top;
    } else {
      return refuse("a number");
    }
    return true;
  }

  bool refuse(std::string_view what) {
    return refuse_text(std::string(what) + " is not expected here (" + where() + ")");
  }
  bool refuse_text(std::string text) {
    error_ = std::move(text);
    return false;
  }
  std::string where() const {
    switch (state_) {
      case State::start:
        return "the message must be an object";
      case State::top:
        return "expected a key";
      case State::op_value:
        return "\"op\" must be a string";
      case State::shape_value:
        return "\"shape\" must be an array";
      case State::shape:
        return "\"shape\" must hold non-negative integers";
      case State::data_value:
        return "\"data\" must be an array";
      case State::data:
        return "\"data\" must be a flat array of numbers";
      case State::k_value:
        return "\"k\" must be a number";
      case State::done:
        break;
    }
    return "after the message";
  }

  std::size_t message_bytes_;
  State state_ = State::start;
  Request request_;
  Shape shape_;
  std::string error_;
  bool seen_op_ = false, seen_shape_ = false, seen_data_ = false, seen_k_ = false;
};

bool RequestSax::key(json::string_t& name) {
  if (state_ != State::top) return refuse("a key");
  struct Field {
    std::string_view name;
    bool RequestSax::*seen;
    State value_state;
  };
  static constexpr Field fields[] = {{"op", &RequestSax::seen_op_, State::op_value},
                                     {"shape", &RequestSax::seen_shape_, State::shape_value},
                                     {"data", &RequestSax::seen_data_, State::data_value},
                                     {"k", &RequestSax::seen_k_, State::k_value}};
  for (const Field& field : fields) {
    if (name != field.name) continue;
    if (this->*field.seen) return refuse_text("key \"" + name + "\" appears twice");
    this->*field.seen = true;
    state_ = field.value_state;
    return true;
  }
  return refuse_text("unknown key \"" + name.substr(0, 32) + "\"");
}

}  // namespace

Request NlohmannJson::decode(std::span<const std::uint8_t> message) {
  RequestSax sax(message.size());
  const auto* begin = reinterpret_cast<const char*>(message.data());
  json::sax_parse(begin, begin + message.size(), &sax);
  return sax.finish();
}

void NlohmannJson::Writer::finish_array() {
  require_finite(result_, "result");
  text_ = json{{"data", json::array_t(result_.begin(), result_.end())}}.dump();
}

void NlohmannJson::Writer::finish_value(double value) {
  require_finite({&value, 1}, "result");
  text_ = json{{"value", value}}.dump();
}

}  // namespace interop_bench::serialization
