#include "flatbuffers_codec.hpp"

#include <algorithm>
#include <string>

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
  const auto* data = message_root->data();
  const auto* dims = message_root->shape();
  if (data == nullptr || dims == nullptr) {
    throw MessageError("flatbuffers: the message needs shape and data");
  }
  require_aligned(data, "data");
  require_aligned(dims, "shape");
  Request request;
  request.op = op_of(message_root->op());
  request.view(std::span<const double>(data->data(), data->size()));
  request.k = message_root->k();
  Shape shape;
  for (const std::uint64_t dim : *dims) shape.push(dim);
  // FlatBuffers omits a field equal to its default, so scale without k means k = 0.
  const bool has_k =
      request.op == Op::scale || flatbuffers::IsFieldPresent(message_root, fbs::Request::VT_K);
  check_request(request, shape, has_k);
  return request;
}

std::span<std::byte> FlatBuffers::Writer::array(Request& request, bool copy_input) {
  const std::size_t n = request.count();
  builder_ = flatbuffers::FlatBufferBuilder(n * sizeof(double) + reply_overhead_bytes);
  double* out = nullptr;
  data_ = builder_.CreateUninitializedVector(n, &out);
  const std::span<const double> values = request.values<double>();
  if (copy_input) std::copy(values.begin(), values.end(), out);
  return std::as_writable_bytes(std::span<double>(out, n));
}

void FlatBuffers::Writer::finish_array() {
  fbs::ReplyBuilder reply(builder_);
  reply.add_data(data_);
  builder_.Finish(reply.Finish(), fbs::RequestIdentifier());
}

void FlatBuffers::Writer::finish_value(const Number& value) {
  builder_.Finish(fbs::CreateReply(builder_, std::get<double>(value)), fbs::RequestIdentifier());
}

}  // namespace interop_bench::serialization
