// Whole transfers over a pipe or stream socket, for every stream transport's
// worker (the pipe server here, the file-mmap worker's notifications).
#pragma once

#include <cstddef>
#include <cstdint>

namespace interop_bench::ipc {

// Move exactly `bytes`, resuming after partial transfers and signals; false on
// end of input or error.
bool read_all(int fd, void* to, std::size_t bytes);
bool write_all(int fd, const void* from, std::size_t bytes);

// Read and drop `bytes` (a refused request's payload, to stay in step).
bool discard(int fd, std::uint64_t bytes);

}  // namespace interop_bench::ipc
