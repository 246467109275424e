// Where a network peer listens (ib_worker --listen, ib_zmq_worker --listen=,
// ib_grpc_peer): the loopback rule over the addresses of HOST:PORT, the TCP
// keep-alive of their connections, and the "listening HOST PORT" report.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

namespace interop_bench::ipc {

// TCP keep-alive of an idle connection, the same for every peer: a client host
// that vanished is noticed after about kKeepIdleS + kKeepCount * kKeepIntervalS
// seconds.
inline constexpr int kKeepIdleS = 30;
inline constexpr int kKeepIntervalS = 10;
inline constexpr int kKeepCount = 3;

// True for an address of 127.0.0.0/8 or ::1 (or ::ffff:127.x.y.z): only these
// may be bound without --allow-remote.
bool is_loopback(const sockaddr* address);

// Where a peer is told to listen (--listen HOST:PORT, --allow-remote).
struct ListenAddress {
  std::string host;  // numeric or a name; loopback unless allow_remote
  std::string port;  // "0": an ephemeral port, reported on standard output
  bool allow_remote = false;
};

// One address getaddrinfo gave, with what socket(2) needs for it.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_UNSPEC;
  int socktype = 0;
  int protocol = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// The addresses of HOST:PORT (passive, a numeric port) that the loopback rule
// lets a peer bind: every one with allow_remote, else the loopback ones.
struct BindableAddresses {
  std::vector<SocketAddress> addresses;  // in the resolver's order
  // HOST:PORT resolved and no address of it was left out (gRPC binds them all).
  bool all_bindable = false;
  // What to say when none of `addresses` serves: "cannot resolve HOST:PORT:
  // ...", "HOST is not a loopback address: binding it needs --allow-remote"
  // (one was left out), else "no address of HOST".
  std::string refusal;
};

BindableAddresses bindable_addresses(const ListenAddress& listen);

// Tell whoever started the peer where it listens ("listening HOST PORT" on
// standard output), then let go of standard output: the parent reads one line
// and closes its end.
void report_listening(const std::string& host, const std::string& port);

}  // namespace interop_bench::ipc
