// ib_grpc_peer: the C++ gRPC server of the `grpc` and `grpc-stream` strategies
// (Debian's libgrpc++, the synchronous API).
//
//   ib_grpc_peer --listen HOST:PORT --secret-file FILE|- [--allow-remote]
//                [--parent=PID] [--max-bytes=N] [--fault=slow --stall-fifo=PATH]
//
// It binds loopback unless --allow-remote is given, prints "listening HOST
// PORT" once it listens (port 0: a free one), and serves only calls signed with
// the secret (grpc_auth.hpp). Its message limits are what --max-bytes needs
// (the largest payload plus a Request's other fields) and no more: gRPC's 4 MiB
// default would refuse the arrays of 1e6 elements and up. Started with
// --parent, it never outlives its parent (PR_SET_PDEATHSIG, and the check of
// getppid() against --parent for a parent that died before prctl ran).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "grpc_auth.hpp"
#include "grpc_service.hpp"
#include "options.hpp"
#include "peer_args.hpp"
#include "peer_auth.hpp"
#include "tcp_peer.hpp"

namespace ipc = interop_bench::ipc;
namespace gp = interop_bench::grpc_peer;

namespace {

struct Arguments {
  std::string listen;
  std::string secret_file;
  long parent_pid = 0;
  ipc::PeerOptions peer;
  ipc::WorkerOptions options;
};

bool parse(int argc, char** argv, Arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return std::string(arg.substr(flag.size())); };
    if (ipc::flag_value("--listen", argc, argv, i, args.listen)) {
      if (!ipc::split_address(args.listen, args.peer)) return false;
    } else if (ipc::flag_value("--secret-file", argc, argv, i, args.secret_file)) {
    } else if (arg == "--allow-remote") {
      args.peer.allow_remote = true;
    } else if (arg.starts_with("--parent=")) {
      args.parent_pid = std::strtol(value("--parent=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--max-bytes=")) {
      args.options.max_payload_bytes = std::strtoull(value("--max-bytes=").c_str(), nullptr, 10);
    } else if (arg.starts_with("--stall-fifo=")) {
      args.options.stall_fifo = value("--stall-fifo=");
    } else if (arg == "--fault=slow") {
      args.options.fault = ipc::Fault::kSlow;
    } else {
      return false;
    }
  }
  // gRPC's message sizes are ints.
  const auto largest = static_cast<std::uint64_t>(INT_MAX) - gp::kEnvelopeBytes;
  return !args.listen.empty() && !args.secret_file.empty() &&
         args.options.max_payload_bytes <= largest;
}

// Whether every address HOST names may be bound: all loopback, or --allow-remote.
bool may_bind(const ipc::PeerOptions& peer, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int status = getaddrinfo(peer.host.c_str(), peer.port.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve " + peer.host + ":" + peer.port + ": " + gai_strerror(status);
    return false;
  }
  bool loopback = true;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    loopback = loopback && ipc::is_loopback(a->ai_addr);
  }
  freeaddrinfo(found);
  if (!loopback && !peer.allow_remote) {
    error = peer.host + " is not a loopback address: binding it needs --allow-remote";
    return false;
  }
  return true;
}

int serve(const Arguments& args) {
  std::string error;
  if (!may_bind(args.peer, error)) {
    std::fprintf(stderr, "ib_grpc_peer: %s\n", error.c_str());
    return 4;
  }
  gp::Sessions sessions(args.peer.secret);
  gp::ArrayService service(sessions, args.options);
  const int message_limit = static_cast<int>(args.options.max_payload_bytes + gp::kEnvelopeBytes);
  const bool v6 = args.peer.host.find(':') != std::string::npos;
  const std::string address =
      (v6 ? "[" + args.peer.host + "]" : args.peer.host) + ":" + args.peer.port;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(message_limit);
  builder.SetMaxSendMessageSize(message_limit);
  builder.RegisterService(&service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "ib_grpc_peer: cannot listen on %s\n", address.c_str());
    return 4;
  }
  std::printf("listening %s %d\n", args.peer.host.c_str(), port);
  std::fflush(stdout);
  // Let go of standard output: the parent reads one line and closes its end.
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    ::close(null);
  }
  server->Wait();  // until killed
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: ib_grpc_peer --listen HOST:PORT --secret-file FILE|- [--allow-remote]\n"
                 "                    [--parent=PID] [--max-bytes=N (< 2 GiB)]\n"
                 "                    [--fault=slow --stall-fifo=PATH]\n");
    return 64;
  }
  if (args.parent_pid > 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != args.parent_pid) {
      return 1;  // the parent died before prctl: nobody will ever call us
    }
  }
  std::string error;
  if (!ipc::read_secret(args.secret_file, args.peer.secret, error)) {
    std::fprintf(stderr, "ib_grpc_peer: %s\n", error.c_str());
    return 64;
  }
  return serve(args);
}
