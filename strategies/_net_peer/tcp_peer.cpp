#include "tcp_peer.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "net_listen.hpp"
#include "peer_auth.hpp"
#include "pipe_server.hpp"

namespace interop_bench::ipc {
namespace {

constexpr int kBacklog = 8;
// A client has this long for each step of the handshake: the peer serves one
// client at a time, so one that connects and says nothing holds up the others
// only this long.
constexpr int kHandshakeTimeoutMs = 5000;

std::string numeric(const sockaddr* address, socklen_t length, std::string& port) {
  char host[NI_MAXHOST] = "?";
  char service[NI_MAXSERV] = "?";
  getnameinfo(address, length, host, sizeof host, service, sizeof service,
              NI_NUMERICHOST | NI_NUMERICSERV);
  port = service;
  return host;
}

void set_int(int fd, int level, int option, int value) {
  setsockopt(fd, level, option, &value, sizeof value);
}

void set_timeout(int fd, int option, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// A listening socket on the first address of host:port that may be bound;
// -1 with `error` set when none may (or can).
int listen_on(const PeerOptions& peer, std::string& error) {
  const BindableAddresses bindable = bindable_addresses(peer);
  error = bindable.refusal;
  for (const SocketAddress& a : bindable.addresses) {
    const int fd = socket(a.family, a.socktype | SOCK_CLOEXEC, a.protocol);
    if (fd < 0) continue;
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (bind(fd, a.get(), a.length) == 0 && listen(fd, kBacklog) == 0) {
      return fd;
    }
    error = "cannot listen on " + peer.host + ":" + peer.port + ": " + std::strerror(errno);
    ::close(fd);
  }
  return -1;
}

// Tell whoever started us where we listen, then let go of standard output.
void report_address(int listener) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length);
  std::string port;
  const std::string host = numeric(reinterpret_cast<sockaddr*>(&bound), length, port);
  report_listening(host, port);
}

// accept(2): errors of the connection being accepted, not of the listener.
bool transient_accept_error(int error) {
  switch (error) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

void configure_connection(int fd, int timeout_ms) {
  set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);  // a request's header must not wait for an ACK
  set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
  set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, kKeepIdleS);
  set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, kKeepIntervalS);
  set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, kKeepCount);
  set_timeout(fd, SO_RCVTIMEO, timeout_ms);
  set_timeout(fd, SO_SNDTIMEO, timeout_ms);
}

// One accepted client: authenticated, then served; whether it was authenticated.
bool serve_client(int fd, const sockaddr_storage& from, socklen_t from_length,
                  const PeerOptions& peer, const WorkerOptions& options) {
  configure_connection(fd, std::min(peer.io_timeout_ms, kHandshakeTimeoutMs));
  std::string why;
  if (!authenticate_client(fd, peer.secret, why)) {
    std::string port;
    const std::string host = numeric(reinterpret_cast<const sockaddr*>(&from), from_length, port);
    std::fprintf(stderr, "ib_worker: refused a client at %s port %s: %s\n", host.c_str(),
                 port.c_str(), why.c_str());
    return false;
  }
  set_timeout(fd, SO_RCVTIMEO, peer.io_timeout_ms);
  set_timeout(fd, SO_SNDTIMEO, peer.io_timeout_ms);
  serve_pipe(fd, fd, options);  // ends with the client (STOP, end of stream, a broken frame)
  return true;
}

}  // namespace

int serve_tcp(const PeerOptions& peer, const WorkerOptions& options) {
  signal(SIGPIPE, SIG_IGN);  // a client that vanished is a failed write, not our death
  std::string error;
  const int listener = listen_on(peer, error);
  if (listener < 0) {
    std::fprintf(stderr, "ib_worker: %s\n", error.c_str());
    return 4;
  }
  report_address(listener);
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const int fd =
        accept4(listener, reinterpret_cast<sockaddr*>(&from), &from_length, SOCK_CLOEXEC);
    if (fd < 0) {
      if (transient_accept_error(errno)) continue;
      std::fprintf(stderr, "ib_worker: accept failed: %s\n", std::strerror(errno));
      return 4;
    }
    const bool served = serve_client(fd, from, from_length, peer, options);
    ::close(fd);
    if (served && peer.once) {
      return 0;
    }
  }
}

}  // namespace interop_bench::ipc
