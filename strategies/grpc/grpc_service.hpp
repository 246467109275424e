// ib_grpc_peer's service (grpc_array.proto): each call is authenticated
// (grpc_auth.hpp), its shape checked with the pipe protocol's checks
// (strategies/_ipc_core/frames.hpp) before anything is allocated for it, and its
// kernel run on the bytes where gRPC's protobuf parse left them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "grpc_array.grpc.pb.h"
#include "grpc_auth.hpp"
#include "options.hpp"

namespace interop_bench::grpc_peer {

// The size of a stream's messages' data (the client's choice, and the reply's):
// far below gRPC's 4 MiB default message limit, which a stream keeps.
inline constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// What a Request holds besides its data: the largest unary message is the largest
// payload plus this (the fields' tags and varints).
inline constexpr std::size_t kEnvelopeBytes = 64;

// The answer to one unary Request from a client already admitted: every field
// is hostile (the fuzz target's entry point).
grpc::Status answer_request(const grpc_array::Request& request, const ipc::WorkerOptions& options,
                            grpc_array::Answer& answer);

class ArrayService final : public grpc_array::ArrayService::Service {
 public:
  ArrayService(Sessions& sessions, const ipc::WorkerOptions& options)
      : sessions_(sessions), options_(options) {}

  grpc::Status Hello(grpc::ServerContext* context, const grpc_array::HelloRequest* request,
                     grpc_array::HelloReply* reply) override;
  grpc::Status Call(grpc::ServerContext* context, const grpc_array::Request* request,
                    grpc_array::Answer* answer) override;
  grpc::Status Stream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc_array::Answer, grpc_array::Request>* stream) override;
  grpc::Status Frames(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc_array::Answer, grpc_array::Request>* stream) override;

 private:
  using Streamed = grpc::ServerReaderWriter<grpc_array::Answer, grpc_array::Request>;

  grpc::Status admit(const grpc::ServerContext& context);
  // One request of `stream` whose first message is `piece`: see grpc_service.cpp.
  grpc::Status serve_one(Streamed& stream, grpc_array::Request& piece, bool to_end);

  Sessions& sessions_;
  ipc::WorkerOptions options_;
};

}  // namespace interop_bench::grpc_peer
