// The file-mmap worker's loop: requests (strategies/_ipc_core/protocol.hpp's pipe
// frames) name .npy files of one directory; the worker maps them, checks them
// as hostile input, runs the kernel and answers.
#pragma once

#include "options.hpp"

namespace interop_bench::file_mmap {

// Serve until end of input (returns 0), kStop (0) or a broken frame (2).
// `dir_fd`: the directory the files are in (names are resolved against it).
int serve_files(int in_fd, int out_fd, int dir_fd, const ipc::WorkerOptions& options);

}  // namespace interop_bench::file_mmap
