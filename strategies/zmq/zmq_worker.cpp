// ib_zmq_worker: the process on the other side of the `zmq` and `zmq-copy`
// strategies, a REP socket that connects to the caller's DEALER socket, and of
// `zmq-tcp`, a REP socket that listens on TCP (zmq_peer.hpp).
//
//   ib_zmq_worker --endpoint=ipc://@NAME --parent=PID --max-message-bytes=N
//                 [--fault=KIND] [--stall-fifo=PATH]
//   ib_zmq_worker --listen=HOST:PORT --secret-file=FILE|- [--allow-remote] [--once]
//                 [--no-curve] [--parent=PID] [--max-message-bytes=N]
//                 [--fault=KIND] [--stall-fifo=PATH]
//
// The endpoint is in Linux's abstract socket namespace (the caller binds it), so
// no socket file exists to be left behind. The listener binds loopback unless
// --allow-remote, serves only CURVE clients holding the secret's keys
// (--no-curve: NULL security, on loopback only), and prints "listening HOST
// PORT" (port 0: a free one). libzmq refuses any frame larger than
// --max-message-bytes (2 GiB by default) before allocating it (ZMQ_MAXMSGSIZE
// drops the connection). Started with --parent, the worker never outlives its
// parent: PR_SET_PDEATHSIG kills it when the parent dies, and the check of
// getppid() against --parent closes the race of a parent that died before prctl
// ran (re-checked while idle).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "options.hpp"
#include "peer_args.hpp"
#include "peer_auth.hpp"
#include "zmq_peer.hpp"
#include "zmq_server.hpp"

namespace ipc = interop_bench::ipc;
namespace zmq_ipc = interop_bench::zmq_ipc;

namespace {

// The frame limit of a listener not told otherwise: the Python side's
// (_zmq_channel.MAX_MESSAGE_BYTES), over twice the benchmark's largest array.
constexpr std::int64_t kDefaultMaxMessageBytes = std::int64_t{1} << 31;

struct Arguments {
  std::string endpoint;
  std::string listen;  // HOST:PORT
  std::string secret_file;
  long parent_pid = 0;
  std::int64_t max_message_bytes = 0;
  ipc::WorkerOptions options;
  zmq_ipc::PeerOptions peer;
};

// Whether the arguments make a whole command: the listener's, or the ipc worker's.
bool complete(Arguments& args) {
  if (!args.listen.empty()) {
    if (args.max_message_bytes == 0) args.max_message_bytes = kDefaultMaxMessageBytes;
    args.peer.max_message_bytes = args.max_message_bytes;
    return args.endpoint.empty() && ipc::split_address(args.listen, args.peer) &&
           !args.secret_file.empty() && args.max_message_bytes > 0;
  }
  return !args.endpoint.empty() && args.parent_pid > 0 && args.max_message_bytes > 0;
}

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return std::string(arg.substr(flag.size())); };
    if (arg.starts_with("--endpoint=")) {
      args.endpoint = value("--endpoint=");
    } else if (arg.starts_with("--listen=")) {
      args.listen = value("--listen=");
    } else if (arg.starts_with("--secret-file=")) {
      args.secret_file = value("--secret-file=");
    } else if (arg == "--allow-remote") {
      args.peer.allow_remote = true;
    } else if (arg == "--once") {
      args.peer.once = true;
    } else if (arg == "--no-curve") {
      args.peer.curve = false;
    } else if (arg.starts_with("--parent=")) {
      args.parent_pid = std::strtol(value("--parent=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--max-message-bytes=")) {
      args.max_message_bytes = std::strtoll(value("--max-message-bytes=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--stall-fifo=")) {
      args.options.stall_fifo = value("--stall-fifo=");
    } else if (arg.starts_with("--fault=")) {
      if (!ipc::parse_fault(value("--fault="), args.options.fault)) {
        return false;
      }
    } else {
      return false;
    }
  }
  return complete(args);
}

bool parent_alive(long parent_pid) {
  return getppid() == parent_pid;
}

// The listener (zmq-tcp): its secret read, NULL security refused off loopback.
int serve_listener(Arguments& args) {
  if (!args.peer.curve && args.peer.allow_remote) {
    std::fprintf(stderr, "ib_zmq_worker: --no-curve is for loopback only, not --allow-remote\n");
    return 64;
  }
  std::string error;
  if (!ipc::read_secret(args.secret_file, args.peer.secret, error)) {
    std::fprintf(stderr, "ib_zmq_worker: %s\n", error.c_str());
    return 64;
  }
  const long parent = args.parent_pid;
  return zmq_ipc::serve_peer(args.peer, args.options,
                             [parent] { return parent <= 0 || parent_alive(parent); });
}

int serve(const Arguments& args) {
  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::rep);
  socket.set(zmq::sockopt::linger, 0);  // a reply to a dead caller is dropped, not waited on
  socket.set(zmq::sockopt::maxmsgsize, args.max_message_bytes);
  socket.connect(args.endpoint);
  interop_bench::zmq_ipc::ZmqServer server(args.options);
  return server.serve(socket, [&] { return parent_alive(args.parent_pid); });
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse(argc, argv, args)) {
    std::fprintf(
        stderr,
        "usage: ib_zmq_worker --endpoint=ipc://@NAME --parent=PID --max-message-bytes=N\n"
        "                     [--fault=KIND] [--stall-fifo=PATH]\n"
        "       ib_zmq_worker --listen=HOST:PORT --secret-file=FILE|- [--allow-remote]\n"
        "                     [--once] [--no-curve] [--parent=PID]\n"
        "                     [--max-message-bytes=N] [--fault=KIND] [--stall-fifo=PATH]\n");
    return 64;
  }
  if (args.parent_pid > 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (!parent_alive(args.parent_pid)) {
      return 1;  // the parent died before prctl: nobody will ever talk to us
    }
  }
  try {
    return args.listen.empty() ? serve(args) : serve_listener(args);
  } catch (const zmq::error_t& failure) {
    std::fprintf(stderr, "ib_zmq_worker: %s\n", failure.what());
    return 2;
  }
}
