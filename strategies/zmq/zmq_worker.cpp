// ib_zmq_worker: the process on the other side of the `zmq` and `zmq-copy`
// strategies, a REP socket that connects to the caller's REQ socket.
//
//   ib_zmq_worker --endpoint=ipc://@NAME --parent=PID --max-message-bytes=N
//                 [--fault=KIND] [--stall-fifo=PATH]
//
// The endpoint is in Linux's abstract socket namespace (the caller binds it), so
// no socket file exists to be left behind. libzmq refuses any frame larger than
// --max-message-bytes before allocating it (ZMQ_MAXMSGSIZE drops the peer).
// The worker never outlives its parent: PR_SET_PDEATHSIG kills it when the
// parent dies, and the check of getppid() against --parent closes the race of a
// parent that died before prctl ran (re-checked while idle).
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
#include "zmq_server.hpp"

namespace ipc = interop_bench::ipc;

namespace {

struct Arguments {
  std::string endpoint;
  long parent_pid = 0;
  std::int64_t max_message_bytes = 0;
  ipc::WorkerOptions options;
};

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return std::string(arg.substr(flag.size())); };
    if (arg.starts_with("--endpoint=")) {
      args.endpoint = value("--endpoint=");
    } else if (arg.starts_with("--parent=")) {
      args.parent_pid = std::strtol(value("--parent=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--max-message-bytes=")) {
      args.max_message_bytes = std::strtoll(value("--max-message-bytes=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--stall-fifo=")) {
      args.options.stall_fifo = value("--stall-fifo=");
    } else if (arg.starts_with("--fault=")) {
      const auto fault = ipc::fault_named(value("--fault="));
      if (!fault) {
        return false;
      }
      args.options.fault = *fault;
    } else {
      return false;
    }
  }
  return !args.endpoint.empty() && args.parent_pid > 0 && args.max_message_bytes > 0;
}

bool parent_alive(long parent_pid) {
  return getppid() == parent_pid;
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
    std::fprintf(stderr,
                 "usage: ib_zmq_worker --endpoint=ipc://@NAME --parent=PID --max-message-bytes=N\n"
                 "                     [--fault=KIND] [--stall-fifo=PATH]\n");
    return 64;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!parent_alive(args.parent_pid)) {
    return 1;  // the parent died before prctl: nobody will ever talk to us
  }
  try {
    return serve(args);
  } catch (const zmq::error_t& failure) {
    std::fprintf(stderr, "ib_zmq_worker: %s\n", failure.what());
    return 2;
  }
}
