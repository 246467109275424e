// libFuzzer target for the zmq worker's request handling (ZmqServer::answer),
// fed the frames a hostile peer could send. The input is
//   [frame count % 4] [payload misalignment % 8] [header length % 128] header payload
// and the reply must always be well formed: a full response header, and a
// payload of exactly the bytes it announces.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "zmq_server.hpp"

namespace ipc = interop_bench::ipc;

namespace {

constexpr std::size_t kPrefixBytes = 3;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixBytes) {
    return 0;
  }
  const std::size_t frame_count = data[0] % 4;
  const std::size_t misalignment = data[1] % 8;
  const std::size_t header_bytes = std::min<std::size_t>(data[2] % 128, size - kPrefixBytes);
  const std::uint8_t* header = data + kPrefixBytes;
  const std::size_t payload_bytes = size - kPrefixBytes - header_bytes;
  // The payload in a buffer of our own (the server may square it in place), at
  // any alignment, as libzmq may leave a small message in its receive batch.
  std::vector<std::uint8_t> payload(misalignment + payload_bytes + 1);  // never empty
  if (payload_bytes > 0) {
    std::memcpy(payload.data() + misalignment, header + header_bytes, payload_bytes);
  }

  std::vector<zmq::message_t> frames;
  if (frame_count > 0) {
    frames.emplace_back(header, header_bytes);
  }
  if (frame_count > 1) {
    frames.emplace_back(payload.data() + misalignment, payload_bytes, nullptr, nullptr);
  }
  interop_bench::zmq_ipc::ZmqServer server{ipc::WorkerOptions{}};
  const interop_bench::zmq_ipc::Reply reply = server.answer(frames, frame_count);
  ipc::PipeResponse response{};
  if (reply.header.size() != sizeof response) {
    __builtin_trap();
  }
  std::memcpy(&response, reply.header.data(), sizeof response);
  if (response.payload_bytes != reply.payload.size() ||
      response.error_text[ipc::kErrorTextBytes - 1] != '\0') {
    __builtin_trap();
  }
  return 0;
}
