// Whole transfers over a file descriptor (pipe or socket), shared by the pipe
// server, the network peer's handshake and the file-mmap worker's notifications.
#pragma once

#include <cstddef>
#include <cstdint>

namespace interop_bench::ipc {

// Move exactly `bytes`, resuming after partial transfers and signals; false on
// end of input, an error, or a socket timeout (SO_RCVTIMEO / SO_SNDTIMEO).
bool read_all(int fd, void* to, std::size_t bytes);
bool write_all(int fd, const void* from, std::size_t bytes);

// As read_all, but a timeout before the first byte is not an error: a server
// waits for the next request for as long as the client is idle, and gives up
// only on a frame that stops half way.
bool read_frame_start(int fd, void* to, std::size_t bytes);

// Read and drop `bytes` (a refused request's payload, to stay in step).
bool discard(int fd, std::uint64_t bytes);

}  // namespace interop_bench::ipc
