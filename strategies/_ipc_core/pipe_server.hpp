// The worker's pipe side: length-prefixed requests on one file descriptor,
// responses on another (stdin and stdout in production).
#pragma once

#include "options.hpp"

namespace interop_bench::ipc {

// Serve until end of input (returns 0), kStop (0) or a broken frame (2).
int serve_pipe(int in_fd, int out_fd, const WorkerOptions& options);

}  // namespace interop_bench::ipc
