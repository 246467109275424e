// ib_file_mmap_worker: the process on the other side of the `file-mmap` strategy.
//
//   ib_file_mmap_worker --dir=PATH --parent=PID [--fault=KIND] [--stall-fifo=PATH]
//
// Requests arrive on stdin and answers leave on stdout (the pipe frames of
// strategies/_ipc_core/protocol.hpp); each request names .npy files in PATH, the
// caller's private directory on tmpfs. Like ib_worker, it never outlives its
// parent: PR_SET_PDEATHSIG kills it when the parent dies, and the check of
// getppid() against --parent closes the race of a parent that died before prctl.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "file_server.hpp"
#include "options.hpp"

namespace ipc = interop_bench::ipc;

namespace {

struct Arguments {
  std::string directory;
  long parent_pid = 0;
  ipc::WorkerOptions options;
};

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return arg.substr(flag.size()); };
    if (arg.starts_with("--dir=")) {
      args.directory = value("--dir=");
    } else if (arg.starts_with("--parent=")) {
      args.parent_pid = std::strtol(value("--parent=").data(), nullptr, 10);
    } else if (arg.starts_with("--stall-fifo=")) {
      args.options.stall_fifo = value("--stall-fifo=");
    } else if (!arg.starts_with("--fault=") ||
               !ipc::parse_fault(value("--fault="), args.options.fault)) {
      return false;
    }
  }
  return !args.directory.empty() && args.parent_pid > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: ib_file_mmap_worker --dir=PATH --parent=PID [--fault=KIND] "
                 "[--stall-fifo=PATH]\n");
    return 64;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != args.parent_pid) {
    return 1;  // the parent died before prctl: nobody will ever talk to us
  }
  const int dir_fd = ::open(args.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    std::perror("ib_file_mmap_worker: --dir");
    return 3;
  }
  return interop_bench::file_mmap::serve_files(STDIN_FILENO, STDOUT_FILENO, dir_fd, args.options);
}
