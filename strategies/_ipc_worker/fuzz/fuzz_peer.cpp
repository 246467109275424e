// libFuzzer target of what a worker reads from the other process: the first
// byte chooses the network peer's handshake (0 mod 4: authenticate_client
// reads the rest as the client's side of it), the pipe frames that follow one
// (odd: serve_pipe reads the rest as requests), or a shared-memory request (2
// mod 4: the rest is a control block's request fields, then the bytes of data
// arena 0, and ShmServer answers it). Each must end with an answer or a
// refusal, never a crash, an out-of-bounds access or an allocation the input
// asked for beyond the limit.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "options.hpp"
#include "peer_auth.hpp"
#include "pipe_server.hpp"
#include "protocol.hpp"
#include "shm_server.hpp"
#include "stream_io.hpp"

namespace ipc = interop_bench::ipc;

namespace {

// Small, so that the fuzzer explores the limit instead of allocating up to it.
constexpr std::uint64_t kFuzzMaxPayloadBytes = 1 << 20;
constexpr char kSecret[] = "a fuzzing secret of enough bytes";

void fuzz_handshake(const std::uint8_t* data, std::size_t size) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) return;
  // The peer writes a hello and maybe a verdict (a few dozen bytes): they fit
  // in the socket's buffer, so nobody needs to read them.
  if (ipc::write_all(ends[1], data, size)) {
    shutdown(ends[1], SHUT_WR);
    std::string why;
    ipc::authenticate_client(ends[0], kSecret, why);
  }
  close(ends[0]);
  close(ends[1]);
}

void fuzz_frames(const std::uint8_t* data, std::size_t size) {
  const int in = memfd_create("ib_fuzz_frames", MFD_CLOEXEC);
  const int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (in >= 0 && out >= 0 && ipc::write_all(in, data, size) && lseek(in, 0, SEEK_SET) == 0) {
    ipc::WorkerOptions options;
    options.max_payload_bytes = kFuzzMaxPayloadBytes;
    ipc::serve_pipe(in, out, options);
  }
  if (in >= 0) close(in);
  if (out >= 0) close(out);
}

// The request fields of a Control (op .. arena_name), then arena 0's bytes.
void fuzz_shm_request(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t first = offsetof(ipc::Control, op);
  constexpr std::size_t fields = offsetof(ipc::Control, response_seq) - first;
  constexpr std::size_t kArenaBytes = 4096;
  ipc::Control control{};
  control.magic = ipc::kMagic;
  control.version = ipc::kVersion;
  const std::size_t taken = size < fields ? size : fields;
  std::memcpy(reinterpret_cast<std::byte*>(&control) + first, data, taken);
  if (control.op == static_cast<std::uint32_t>(ipc::Op::kMapArena)) return;  // opens files
  alignas(64) static std::byte arena[kArenaBytes];
  const std::size_t rest = size - taken < kArenaBytes ? size - taken : kArenaBytes;
  std::memcpy(arena, data + taken, rest);
  ipc::ShmServer server(&control, ipc::WorkerOptions{});
  server.attach_arena(0, arena, kArenaBytes);
  server.handle(1);
  if (control.response_seq != 1 || control.status > 1) std::abort();  // always answered
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 1) {
    fuzz_frames(data + 1, size - 1);
  } else if (data[0] % 4 == 2) {
    fuzz_shm_request(data + 1, size - 1);
  } else {
    fuzz_handshake(data + 1, size - 1);
  }
  return 0;
}
