// ib_grpc_peer: the C++ gRPC server of the `grpc` and `grpc-stream` strategies
// (Debian's libgrpc++, the synchronous API).
//
//   ib_grpc_peer --listen HOST:PORT --secret-file FILE|- [--allow-remote]
//                [--parent=PID] [--max-bytes=N] [--fault=slow --stall-fifo=PATH]
//                [--fault=bad-seq]
//
// It binds loopback unless --allow-remote is given, prints "listening HOST
// PORT" once it listens (port 0: a free one), and serves only calls signed with
// the secret (grpc_auth.hpp). Its message limits are what --max-bytes needs
// (the largest payload plus a Request's other fields) and no more: gRPC's 4 MiB
// default would refuse the arrays of 1e6 elements and up. Started with
// --parent, it never outlives its parent (PR_SET_PDEATHSIG, and the check of
// getppid() against --parent for a parent that died before prctl ran).
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "grpc_auth.hpp"
#include "grpc_service.hpp"
#include "net_listen.hpp"
#include "options.hpp"
#include "peer_args.hpp"
#include "peer_auth.hpp"

namespace ipc = interop_bench::ipc;
namespace gp = interop_bench::grpc_peer;

namespace {

bool parse(int argc, char** argv, ipc::PeerArguments& args) {
  for (int i = 1; i < argc; ++i) {
    switch (ipc::take_peer_flag(argc, argv, i, args)) {
      case ipc::PeerFlag::kTaken:
        break;
      case ipc::PeerFlag::kMalformed:
        return false;
      case ipc::PeerFlag::kOther:
        if (std::string_view(argv[i]) == "--fault=slow") {
          args.options.fault = ipc::Fault::kSlow;
        } else if (std::string_view(argv[i]) == "--fault=bad-seq") {  // Frames' answers
          args.options.fault = ipc::Fault::kBadSeq;
        } else {
          return false;
        }
        break;
    }
  }
  // gRPC's message sizes are ints.
  const auto largest = static_cast<std::uint64_t>(INT_MAX) - gp::kEnvelopeBytes;
  return !args.listen.empty() && !args.secret_file.empty() &&
         args.options.max_payload_bytes <= largest;
}

int serve(const ipc::PeerArguments& args) {
  // gRPC binds every address HOST names: each must be loopback, or --allow-remote.
  const ipc::BindableAddresses bindable = ipc::bindable_addresses(args.peer);
  if (!bindable.all_bindable) {
    std::fprintf(stderr, "ib_grpc_peer: %s\n", bindable.refusal.c_str());
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
  ipc::report_listening(args.peer.host, std::to_string(port));
  server->Wait();  // until killed
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ipc::PeerArguments args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: ib_grpc_peer --listen HOST:PORT --secret-file FILE|- [--allow-remote]\n"
                 "                    [--parent=PID] [--max-bytes=N (< 2 GiB)]\n"
                 "                    [--fault=slow --stall-fifo=PATH] [--fault=bad-seq]\n");
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
