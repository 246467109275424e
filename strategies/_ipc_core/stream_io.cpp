#include "stream_io.hpp"

#include <unistd.h>

#include <cerrno>

namespace interop_bench::ipc {
namespace {

// Discarded payloads are read through a buffer of this size.
constexpr std::size_t kDiscardChunkBytes = 1 << 16;

// Move exactly `bytes` with `io` (read or write); `idle_ok`: a timeout before
// anything moved is waited through.
template <class Byte, class Io>
bool transfer_all(Io io, int fd, Byte* p, std::size_t bytes, bool idle_ok) {
  const std::size_t total = bytes;
  while (bytes > 0) {
    const ssize_t n = io(fd, p, bytes);
    if (n < 0 && (errno == EINTR ||
                  (idle_ok && bytes == total && (errno == EAGAIN || errno == EWOULDBLOCK)))) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool read_all(int fd, void* to, std::size_t bytes) {
  return transfer_all(::read, fd, static_cast<std::byte*>(to), bytes, false);
}

bool write_all(int fd, const void* from, std::size_t bytes) {
  return transfer_all(::write, fd, static_cast<const std::byte*>(from), bytes, false);
}

bool read_frame_start(int fd, void* to, std::size_t bytes) {
  return transfer_all(::read, fd, static_cast<std::byte*>(to), bytes, true);
}

bool discard(int fd, std::uint64_t bytes) {
  std::byte sink[kDiscardChunkBytes];
  while (bytes > 0) {
    const std::size_t n = bytes < sizeof sink ? bytes : sizeof sink;
    if (!read_all(fd, sink, n)) {
      return false;
    }
    bytes -= n;
  }
  return true;
}

}  // namespace interop_bench::ipc
