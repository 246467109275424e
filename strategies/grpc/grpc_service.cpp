#include "grpc_service.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "frames.hpp"
#include "requests.hpp"

namespace interop_bench::grpc_peer {
namespace {

using grpc::Status;
using grpc::StatusCode;

std::string_view metadata(const grpc::ServerContext& context, const char* key) {
  const auto& all = context.client_metadata();
  const auto found = all.find(key);
  return found == all.end() ? std::string_view{}
                            : std::string_view(found->second.data(), found->second.size());
}

// The call's shape, checked against the limit and by the pipe protocol's checks
// before anything is allocated for it; nullopt with `status` set otherwise.
std::optional<ipc::CheckedRequest> checked_call(const grpc_array::Request& call,
                                                std::uint64_t payload_bytes,
                                                std::uint64_t max_payload_bytes, Status& status) {
  if (payload_bytes > max_payload_bytes) {
    status = Status(StatusCode::RESOURCE_EXHAUSTED, "payload of " + std::to_string(payload_bytes) +
                                                        " bytes is over this peer's limit of " +
                                                        std::to_string(max_payload_bytes) +
                                                        " (--max-bytes)");
    return std::nullopt;
  }
  ipc::PipeRequest request{};
  request.magic = ipc::kMagic;
  request.version = ipc::kVersion;
  request.op = call.op();
  request.count = call.count();
  request.rows = call.rows();
  request.cols = call.cols();
  request.factor = call.factor();
  request.payload_bytes = payload_bytes;
  request.dtype = call.dtype();
  request.row_stride = call.row_stride();
  std::string error;
  auto checked = ipc::check_request(request, error, ipc::Carries::kEveryDType);
  if (!checked) {
    status = Status(StatusCode::INVALID_ARGUMENT, error);
  }
  return checked;
}

// Whether the kernel may read `data` as elements of the checked call's dtype.
bool aligned(const void* data, const ipc::CheckedRequest& checked) {
  return reinterpret_cast<std::uintptr_t>(data) % interop_bench::item_bytes(checked.dtype) == 0;
}

// A buffer of at least `bytes` (one, when none), aligned for every element type.
std::unique_ptr<double[]> buffer_of(std::uint64_t bytes) {
  return std::make_unique_for_overwrite<double[]>(
      std::max<std::uint64_t>((bytes + sizeof(double) - 1) / sizeof(double), 1));
}

// Run the checked call's kernel (of its dtype) over `in` into `out`; its
// result and detail go into `answer`.
Status run(const ipc::CheckedRequest& checked, double factor, void* in, void* out,
           const ipc::WorkerOptions& options, grpc_array::Answer& answer) {
  if (options.fault == ipc::Fault::kSlow) ipc::stall(options);
  ipc::Answer done = ipc::run_kernel(checked, factor, in, out);
  if (done.status != ipc::Status::kOk) {
    return Status(StatusCode::INVALID_ARGUMENT, done.error);
  }
  answer.set_result(done.result);
  answer.set_integer_result(done.integer_result);
  answer.set_detail(reinterpret_cast<std::uintptr_t>(in));
  return Status::OK;
}

}  // namespace

Status ArrayService::admit(const grpc::ServerContext& context) {
  std::string why;
  if (!sessions_.admit(metadata(context, kSessionKey), metadata(context, kSeqKey),
                       metadata(context, kMacKey), why)) {
    return Status(StatusCode::UNAUTHENTICATED, why);
  }
  return Status::OK;
}

Status ArrayService::Hello(grpc::ServerContext* /*context*/,
                           const grpc_array::HelloRequest* request, grpc_array::HelloReply* reply) {
  if (!sessions_.open(request->client_nonce(), *reply->mutable_session_nonce(),
                      *reply->mutable_proof())) {
    return Status(StatusCode::INVALID_ARGUMENT, "a Hello carries a client nonce of " +
                                                    std::to_string(ipc::kNonceBytes) + " bytes");
  }
  return Status::OK;
}

Status answer_request(const grpc_array::Request& request, const ipc::WorkerOptions& options,
                      grpc_array::Answer& answer) try {
  Status status;
  const std::string& data = request.data();
  const auto checked = checked_call(request, data.size(), options.max_payload_bytes, status);
  if (!checked) return status;
  std::string* in_bytes = nullptr;
  std::string aligned_copy;  // where data that protobuf left unaligned is read from
  if (checked->op == ipc::Op::kSquare) {
    in_bytes = answer.mutable_data();  // squared where the reply sends it from
    *in_bytes = data;
  } else if (!aligned(data.data(), *checked)) {
    aligned_copy = data;
    in_bytes = &aligned_copy;
  }
  // The kernels other than square only read their input: the request's own bytes.
  void* in =
      in_bytes != nullptr && !in_bytes->empty() ? in_bytes->data() : const_cast<char*>(data.data());
  void* out = nullptr;
  if (checked->out_bytes() > 0) {
    answer.mutable_data()->resize(checked->out_bytes());
    out = answer.mutable_data()->data();
  }
  return run(*checked, request.factor(), in, out, options, answer);
} catch (const std::bad_alloc&) {
  return Status(StatusCode::RESOURCE_EXHAUSTED, "out of memory for the request's arrays");
}

Status ArrayService::Call(grpc::ServerContext* context, const grpc_array::Request* request,
                          grpc_array::Answer* answer) {
  const Status status = admit(*context);
  return status.ok() ? answer_request(*request, options_, *answer) : status;
}

// One request of `stream` whose first message is `piece`: its pieces read up to
// the payload it announced (`to_end`: and then the stream's end, which must
// follow), its kernel run, its answer written in pieces, each carrying the
// request's seq (0, left out, for a Stream call's) and the first its result.
Status ArrayService::serve_one(Streamed& stream, grpc_array::Request& piece, bool to_end) try {
  Status status;
  const std::uint64_t total = piece.payload_bytes();
  const auto checked = checked_call(piece, total, options_.max_payload_bytes, status);
  if (!checked) return status;
  const double factor = piece.factor();
  const std::uint32_t seq = piece.seq();
  const auto in = buffer_of(checked->in_bytes());
  const auto out = buffer_of(checked->out_bytes());
  std::uint64_t received = 0;
  bool more = true;
  while (more) {
    const std::string& data = piece.data();
    if (data.size() > total - received) {
      return Status(
          StatusCode::INVALID_ARGUMENT,
          "the stream sent more than the " + std::to_string(total) + " bytes it announced");
    }
    std::memcpy(reinterpret_cast<char*>(in.get()) + received, data.data(), data.size());
    received += data.size();
    more = (to_end || received < total) && stream.Read(&piece);
  }
  if (received != total) {
    return Status(StatusCode::INVALID_ARGUMENT, "the stream ended after " +
                                                    std::to_string(received) + " of the " +
                                                    std::to_string(total) + " bytes it announced");
  }
  grpc_array::Answer answer;
  status = run(*checked, factor, in.get(), out.get(), options_, answer);
  if (!status.ok()) return status;
  const char* reply =
      reinterpret_cast<const char*>(checked->op == ipc::Op::kSquare ? in.get() : out.get());
  const std::uint64_t reply_bytes = ipc::reply_bytes(*checked);
  const std::uint32_t echoed = options_.fault == ipc::Fault::kBadSeq ? seq + 1000 : seq;
  std::uint64_t sent = 0;
  do {  // the first answer carries the result, every one a piece of the reply
    const std::uint64_t size = std::min<std::uint64_t>(kChunkBytes, reply_bytes - sent);
    answer.set_data(reply + sent, size);
    answer.set_seq(echoed);
    if (!stream.Write(answer)) {
      return Status(StatusCode::CANCELLED, "the client went away during the reply");
    }
    answer.Clear();
    sent += size;
  } while (sent < reply_bytes);
  return Status::OK;
} catch (const std::bad_alloc&) {
  return Status(StatusCode::RESOURCE_EXHAUSTED, "out of memory for the request's arrays");
}

Status ArrayService::Stream(grpc::ServerContext* context, Streamed* stream) {
  Status status = admit(*context);
  if (!status.ok()) return status;
  grpc_array::Request piece;
  if (!stream->Read(&piece)) {
    return Status(StatusCode::INVALID_ARGUMENT, "a stream starts with a Call announcing its array");
  }
  return serve_one(*stream, piece, true);
}

Status ArrayService::Frames(grpc::ServerContext* context, Streamed* stream) {
  Status status = admit(*context);
  grpc_array::Request piece;
  while (status.ok() && stream->Read(&piece)) {
    status = serve_one(*stream, piece, false);
  }
  return status;
}

}  // namespace interop_bench::grpc_peer
