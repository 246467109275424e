// ib_worker: the process on the other side of the `shm*` and `pipe` strategies.
//
//   ib_worker --shm=NAME --parent=PID [--spin-ns=N] [--fault=KIND]
//       serve requests through the control segment /dev/shm/NAME;
//   ib_worker --pipe --parent=PID [--fault=KIND]
//       serve length-prefixed requests on stdin, responses on stdout;
//   ib_worker --print-layout
//       print protocol.hpp's offsets and sizes as JSON.
//
// The worker never outlives its parent: PR_SET_PDEATHSIG kills it when the
// parent dies, and the check of getppid() against --parent closes the race of
// a parent that died before prctl ran (the shm loop re-checks while idle).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "layout.hpp"
#include "options.hpp"
#include "pipe_server.hpp"
#include "shm_server.hpp"

namespace ipc = interop_bench::ipc;

namespace {

struct Arguments {
  bool print_layout = false;
  bool pipe = false;
  std::string shm_name;
  long parent_pid = 0;
  ipc::WorkerOptions options;
};

bool parse_fault(std::string_view kind, ipc::Fault& fault) {
  if (kind == "bad-seq") {
    fault = ipc::Fault::kBadSeq;
  } else if (kind == "bad-status") {
    fault = ipc::Fault::kBadStatus;
  } else if (kind == "bad-magic") {
    fault = ipc::Fault::kBadMagic;
  } else if (kind == "slow") {
    fault = ipc::Fault::kSlow;
  } else {
    return false;
  }
  return true;
}

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return arg.substr(flag.size()); };
    if (arg == "--print-layout") {
      args.print_layout = true;
    } else if (arg == "--pipe") {
      args.pipe = true;
    } else if (arg.starts_with("--shm=")) {
      args.shm_name = value("--shm=");
    } else if (arg.starts_with("--parent=")) {
      args.parent_pid = std::strtol(value("--parent=").data(), nullptr, 10);
    } else if (arg.starts_with("--spin-ns=")) {
      args.options.spin_ns = std::strtoll(value("--spin-ns=").data(), nullptr, 10);
    } else if (arg.starts_with("--stall-fifo=")) {
      args.options.stall_fifo = value("--stall-fifo=");
    } else if (arg.starts_with("--fault=")) {
      if (!parse_fault(value("--fault="), args.options.fault)) {
        return false;
      }
    } else {
      return false;
    }
  }
  return args.print_layout || ((args.pipe != !args.shm_name.empty()) && args.parent_pid > 0);
}

bool parent_alive(long parent_pid) {
  return getppid() == parent_pid;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: ib_worker --shm=NAME --parent=PID [--spin-ns=N] [--fault=KIND]\n"
                 "                 [--stall-fifo=PATH]\n"
                 "       ib_worker --pipe --parent=PID [--fault=KIND] [--stall-fifo=PATH]\n"
                 "       ib_worker --print-layout\n");
    return 64;
  }
  if (args.print_layout) {
    ipc::print_layout(stdout);
    return 0;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!parent_alive(args.parent_pid)) {
    return 1;  // the parent died before prctl: nobody will ever talk to us
  }
  if (args.pipe) {
    return ipc::serve_pipe(STDIN_FILENO, STDOUT_FILENO, args.options);
  }
  ipc::Control* control = ipc::map_control(args.shm_name.c_str());
  if (control == nullptr) {
    return 3;
  }
  ipc::ShmServer server(control, args.options);
  return server.serve([&] { return parent_alive(args.parent_pid); });
}
