// libFuzzer target for ib_grpc_peer's unary handling (answer_request), fed the
// Request bytes a hostile client could send once admitted: libprotobuf parses
// them as gRPC would (every field hostile: dtype code, row stride, shape,
// factor), and the answer must be a refusal or exactly the reply the op owes
// (square's and scale's array, frame's gray image, nothing for the others).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "grpc_service.hpp"

namespace gp = interop_bench::grpc_peer;
namespace ipc = interop_bench::ipc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  interop_bench::grpc_array::Request request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) {
    return 0;  // gRPC refuses what protobuf cannot parse before the handler runs
  }
  ipc::WorkerOptions options;
  options.max_payload_bytes = std::uint64_t{1} << 20;  // small, so scale's output stays small
  interop_bench::grpc_array::Answer answer;
  const grpc::Status status = gp::answer_request(request, options, answer);
  if (!status.ok()) {
    return 0;
  }
  const auto op = static_cast<ipc::Op>(request.op());
  std::uint64_t owed = 0;  // the bytes of the array the op answers with
  if (op == ipc::Op::kSquare || op == ipc::Op::kScale) {
    owed = request.data().size();
  } else if (op == ipc::Op::kFrame) {
    owed = request.rows() * request.cols();  // checked not to overflow, or refused
  }
  if (answer.data().size() != owed) {
    std::abort();  // an ok answer whose array is not the one the op owes
  }
  return 0;
}
