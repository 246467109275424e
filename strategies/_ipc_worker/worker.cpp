// ib_worker: the process on the other side of the `shm*`, `pipe`, `uds` and
// `tcp` strategies.
//
//   ib_worker --shm=NAME --parent=PID [--spin-ns=N] [--fault=KIND]
//       serve requests through the control segment /dev/shm/NAME;
//   ib_worker --pipe --parent=PID [--fault=KIND]
//       serve length-prefixed requests on stdin, responses on stdout;
//   ib_worker --listen HOST:PORT --secret-file FILE [--allow-remote] [--once]
//             [--parent=PID] [--max-bytes=N] [--io-timeout-ms=N] [--fault=KIND]
//       the network peer: the same frames over TCP, to clients that proved
//       they hold the secret (tcp_peer.hpp); port 0 picks a free one, and the
//       line "listening HOST PORT" on stdout says which;
//   ib_worker --print-layout
//       print protocol.hpp's offsets and sizes as JSON.
//
// Started with --parent, the worker never outlives its parent: PR_SET_PDEATHSIG
// kills it when the parent dies, and the check of getppid() against --parent
// closes the race of a parent that died before prctl ran (the shm loop
// re-checks while idle). A network peer started by hand on another host runs
// without --parent, until it is stopped.
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
#include "peer_args.hpp"
#include "peer_auth.hpp"
#include "pipe_server.hpp"
#include "shm_server.hpp"
#include "tcp_peer.hpp"

namespace ipc = interop_bench::ipc;

namespace {

struct Arguments {
  bool print_layout = false;
  bool pipe = false;
  std::string shm_name;
  ipc::PeerArguments common;  // --listen's, and --parent, --max-bytes, --stall-fifo
};

// A flag of the pipe or shm worker, or one only ib_worker --listen takes.
bool parse_own_flag(std::string_view arg, Arguments& args) {
  auto value = [&](std::string_view flag) { return arg.substr(flag.size()); };
  ipc::WorkerOptions& options = args.common.options;
  if (arg == "--print-layout") {
    args.print_layout = true;
  } else if (arg == "--pipe") {
    args.pipe = true;
  } else if (arg == "--once") {
    args.common.peer.once = true;
  } else if (arg.starts_with("--io-timeout-ms=")) {
    args.common.peer.io_timeout_ms =
        static_cast<int>(std::strtol(value("--io-timeout-ms=").data(), nullptr, 10));
  } else if (arg.starts_with("--shm=")) {
    args.shm_name = value("--shm=");
  } else if (arg.starts_with("--spin-ns=")) {
    options.spin_ns = std::strtoll(value("--spin-ns=").data(), nullptr, 10);
  } else if (arg.starts_with("--fault=")) {
    return ipc::parse_fault(value("--fault="), options.fault);
  } else {
    return false;
  }
  return true;
}

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const ipc::PeerFlag common = ipc::take_peer_flag(argc, argv, i, args.common);
    if (common == ipc::PeerFlag::kMalformed ||
        (common == ipc::PeerFlag::kOther && !parse_own_flag(argv[i], args))) {
      return false;
    }
  }
  const bool listen = !args.common.listen.empty();
  const int transports = int{args.pipe} + int{!args.shm_name.empty()} + int{listen};
  if (listen) {
    return transports == 1 && !args.common.secret_file.empty() &&
           args.common.peer.io_timeout_ms > 0;
  }
  return args.print_layout || (transports == 1 && args.common.parent_pid > 0);
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
                 "       ib_worker --listen HOST:PORT --secret-file FILE|- [--allow-remote]\n"
                 "                 [--once] [--parent=PID] [--max-bytes=N] [--io-timeout-ms=N]\n"
                 "                 [--fault=KIND] [--stall-fifo=PATH]\n"
                 "       ib_worker --print-layout\n");
    return 64;
  }
  if (args.print_layout) {
    ipc::print_layout(stdout);
    return 0;
  }
  ipc::PeerArguments& common = args.common;
  if (common.parent_pid > 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!parent_alive(common.parent_pid)) {
      return 1;  // the parent died before prctl: nobody will ever talk to us
    }
  }
  if (!common.listen.empty()) {
    std::string error;
    if (!ipc::read_secret(common.secret_file, common.peer.secret, error)) {
      std::fprintf(stderr, "ib_worker: %s\n", error.c_str());
      return 64;
    }
    return ipc::serve_tcp(common.peer, common.options);
  }
  if (args.pipe) {
    return ipc::serve_pipe(STDIN_FILENO, STDOUT_FILENO, common.options);
  }
  ipc::Control* control = ipc::map_control(args.shm_name.c_str());
  if (control == nullptr) {
    return 3;
  }
  ipc::ShmServer server(control, common.options);
  return server.serve([&] { return parent_alive(common.parent_pid); });
}
