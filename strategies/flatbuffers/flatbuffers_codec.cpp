#include "flatbuffers_codec.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <variant>

#include "array_generated.h"

namespace interop_bench::serialization {
namespace {

// A request is one table holding two vectors: anything deeper or larger is hostile.
constexpr flatbuffers::uoffset_t max_depth = 4;
constexpr flatbuffers::uoffset_t max_tables = 4;
// Room for the reply's table, vtable, vector length, identifier and alignment.
constexpr std::size_t reply_overhead_bytes = 128;

Op op_of(fbs::Op op) {
  switch (op) {
    case fbs::Op::Sum:
      return Op::sum;
    case fbs::Op::Square:
      return Op::square;
    case fbs::Op::MatrixSum:
      return Op::matrix_sum;
    case fbs::Op::Scale:
      return Op::scale;
    case fbs::Op::Frame:
      return Op::frame;
  }
  throw MessageError("flatbuffers: unknown op " + std::to_string(static_cast<int>(op)));
}

// FlatBuffers 2.0.8's verifier checks a vector's length field for 4-byte
// alignment only, not its 8-byte elements (found by ib_fuzz_flatbuffers): a
// vector of doubles or ulongs read in place must be checked here (an empty
// one is never read).
template <class T>
void require_aligned(const flatbuffers::Vector<T>* vector, const char* what) {
  if (vector->size() != 0 && reinterpret_cast<std::uintptr_t>(vector->data()) % alignof(T) != 0) {
    throw MessageError(std::string("flatbuffers: the ") + what + " vector is not " +
                       std::to_string(alignof(T)) + "-byte aligned");
  }
}

// The typed vectors of array.fbs, in DType's order: a Request's values, a Reply's result.
constexpr const char* vector_names = "data, data_f32, data_i32, data_i16 or data_u8";
constexpr flatbuffers::voffset_t reply_vectors[dtype_count] = {
    fbs::Reply::VT_DATA, fbs::Reply::VT_DATA_F32, fbs::Reply::VT_DATA_I32, fbs::Reply::VT_DATA_I16,
    fbs::Reply::VT_DATA_U8};

// Reads `vector`, when present, in place as the request's values; refuses a
// second typed vector (`found` counts them).
template <class T>
void take_values(const flatbuffers::Vector<T>* vector, const char* what, Request& request,
                 bool& found) {
  if (vector == nullptr) return;
  if (found) {
    throw MessageError(std::string("flatbuffers: the values are in more than one of ") +
                       vector_names + " (the second: " + what + ")");
  }
  found = true;
  require_aligned(vector, what);
  request.view(std::span<const T>(vector->data(), vector->size()));
}

// The values from the one typed vector present, which says their dtype.
void read_values(const fbs::Request& root, Request& request) {
  bool found = false;
  take_values(root.data(), "data", request, found);
  take_values(root.data_f32(), "data_f32", request, found);
  take_values(root.data_i32(), "data_i32", request, found);
  take_values(root.data_i16(), "data_i16", request, found);
  take_values(root.data_u8(), "data_u8", request, found);
  if (!found) {
    throw MessageError(std::string("flatbuffers: the message needs its values in one of ") +
                       vector_names);
  }
}

// Scale's factor: int_k (a long) for integer arrays, k (a double) for float
// ones; FlatBuffers omits a field equal to its default, so an absent factor
// is 0 of the dtype's kind. Returns whether the message carried a factor.
bool read_factor(const fbs::Request& root, Request& request) {
  const bool has_k = flatbuffers::IsFieldPresent(&root, fbs::Request::VT_K);
  const bool has_int_k = flatbuffers::IsFieldPresent(&root, fbs::Request::VT_INT_K);
  if (has_k && has_int_k) throw MessageError("flatbuffers: the message holds both k and int_k");
  const bool integer = request.dtype != DType::float64 && request.dtype != DType::float32;
  if (has_int_k || (integer && !has_k)) {
    request.k = root.int_k();
  } else {
    request.k = root.k();
  }
  return has_k || has_int_k;
}

}  // namespace

Request FlatBuffers::decode(std::span<const std::uint8_t> message) {
  if (message.size() >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    throw MessageError("flatbuffers: message of " + std::to_string(message.size()) +
                       " bytes is larger than FlatBuffers can address (2 GiB)");
  }
  // The verifier checks alignment relative to the buffer's start; reading the
  // doubles in place needs the start itself aligned too.
  if (reinterpret_cast<std::uintptr_t>(message.data()) % alignof(double) != 0) {
    throw MessageError("flatbuffers: message buffer is not 8-byte aligned");
  }
  flatbuffers::Verifier verifier(message.data(), message.size(), max_depth, max_tables);
  if (!fbs::VerifyRequestBuffer(verifier)) {
    throw MessageError(
        "flatbuffers: not a valid Request buffer (identifier \"IBAR\", "
        "offsets and lengths inside the buffer): verification failed");
  }
  const fbs::Request* message_root = fbs::GetRequest(message.data());
  const auto* dims = message_root->shape();
  if (dims == nullptr) throw MessageError("flatbuffers: the message needs a shape");
  require_aligned(dims, "shape");
  Request request;
  request.op = op_of(message_root->op());
  read_values(*message_root, request);
  Shape shape;
  for (const std::uint64_t dim : *dims) shape.push(dim);
  const bool has_k = read_factor(*message_root, request);
  // Scale without a factor field means a factor of 0 (see read_factor).
  check_request(request, shape, has_k || request.op == Op::scale);
  return request;
}

std::span<std::byte> FlatBuffers::Writer::array(Request& request, bool copy_input) {
  data_dtype_ = result_dtype(request);
  const std::size_t count = result_count(request);
  const std::size_t item = item_bytes(data_dtype_);
  builder_ = flatbuffers::FlatBufferBuilder(count * item + reply_overhead_bytes);
  std::uint8_t* out = nullptr;
  data_ = builder_.CreateUninitializedVector(count, item, &out);  // aligned to `item`
  if (copy_input)
    std::copy(request.data.begin(), request.data.end(), reinterpret_cast<std::byte*>(out));
  return {reinterpret_cast<std::byte*>(out), count * item};
}

void FlatBuffers::Writer::finish_array() {
  fbs::ReplyBuilder reply(builder_);
  builder_.AddOffset(reply_vectors[static_cast<std::size_t>(data_dtype_)],
                     flatbuffers::Offset<void>(data_));
  builder_.Finish(reply.Finish(), fbs::RequestIdentifier());
}

void FlatBuffers::Writer::finish_value(const Number& value) {
  fbs::ReplyBuilder reply(builder_);
  std::visit(
      [&](auto number) {
        using Type = decltype(number);
        if constexpr (std::is_same_v<Type, double>) {
          reply.add_value(number);
        } else if constexpr (std::is_same_v<Type, std::int64_t>) {
          reply.add_int_value(number);
        } else {
          reply.add_uint_value(number);
        }
      },
      value);
  builder_.Finish(reply.Finish(), fbs::RequestIdentifier());
}

}  // namespace interop_bench::serialization
