#include "json_codec.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

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
    return number(std::int64_t{value});
  }
  bool number_unsigned(json::number_unsigned_t value) {
    if (state_ == State::shape) {
      shape_.push(value);
      return true;
    }
    return number(std::uint64_t{value});
  }
  bool number_float(json::number_float_t value, const json::string_t&) {
    if (state_ == State::shape) return refuse_text("shape must hold non-negative integers");
    return number(double{value});
  }
  bool string(json::string_t& value) {
    if (state_ == State::dtype_value) {
      const auto dtype = dtype_from_name(value);
      if (!dtype) return refuse_text("unknown dtype \"" + value.substr(0, 32) + "\"");
      request_.dtype = *dtype;
      state_ = State::top;
      return true;
    }
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
      // Values of the dtype already read, as many as the shape announced,
      // bounded by what the message can hold.
      const std::size_t reserve =
          bounded_reserve(shape_.claimed_elements(), message_bytes_, min_bytes_per_number);
      visit_dtype(request_.dtype,
                  [&]<class T>(std::type_identity<T>) { request_.own<T>().reserve(reserve); });
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
    if (!seen_op_ || !seen_shape_ || !seen_dtype_ || !seen_data_) {
      throw MessageError("json: the message needs \"op\", \"shape\", \"dtype\" and \"data\"");
    }
    request_.use_owned();
    check_request(request_, shape_, seen_k_);
    return std::move(request_);
  }

 private:
  enum class State {
    start,
    top,
    op_value,
    shape_value,
    shape,
    dtype_value,
    data_value,
    data,
    k_value,
    done
  };

  template <class N>
  bool number(N value) {
    if (state_ == State::data) return push(value);
    if (state_ != State::k_value) return refuse("a number");
    request_.k = value;
    state_ = State::top;
    return true;
  }

  // One value into the vector of the request's dtype (own() made it that one).
  template <class N>
  bool push(N value) {
    return std::visit(
        [&]<class T>(std::vector<T>& values) {
          const std::optional<T> typed = value_of<T>(value);
          if (!typed) return refuse_value(Number(value), values.size());
          values.push_back(*typed);
          return true;
        },
        request_.owned);
  }

  bool refuse_value(const Number& value, std::size_t index) {
    return refuse_text("\"data\"[" + std::to_string(index) + "] = " + to_string(value) +
                       " does not fit " + std::string(dtype_name(request_.dtype)));
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
      case State::dtype_value:
        return "\"dtype\" must be a string";
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
  bool seen_op_ = false, seen_shape_ = false, seen_dtype_ = false, seen_data_ = false,
       seen_k_ = false;
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
                                     {"dtype", &RequestSax::seen_dtype_, State::dtype_value},
                                     {"data", &RequestSax::seen_data_, State::data_value},
                                     {"k", &RequestSax::seen_k_, State::k_value}};
  for (const Field& field : fields) {
    if (name != field.name) continue;
    if (this->*field.seen) return refuse_text("key \"" + name + "\" appears twice");
    // The values are decoded into their type as they are read: it must be known.
    if (field.seen == &RequestSax::seen_data_ && !seen_dtype_) {
      return refuse_text("\"dtype\" must come before \"data\"");
    }
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
  visit_dtype(result_dtype_, [&]<class T>(std::type_identity<T>) {
    const std::span<const T> values = result_values<T>();
    require_finite(values, "result");
    // Integers become JSON integers, floats JSON floats (float32 widened exactly).
    text_ = json{{"dtype", dtype_name(result_dtype_)},
                 {"data", json::array_t(values.begin(), values.end())}}
                .dump();
  });
}

void NlohmannJson::Writer::finish_value(const Number& value) {
  if (const double* real = std::get_if<double>(&value)) require_finite({real, 1}, "result");
  text_ = std::visit([](auto scalar) { return json{{"value", scalar}}.dump(); }, value);
}

}  // namespace interop_bench::serialization
