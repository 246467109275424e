#include "tcp_peer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
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

#include "peer_auth.hpp"
#include "pipe_server.hpp"

namespace interop_bench::ipc {
namespace {

constexpr int kBacklog = 8;
// TCP keep-alive of an idle connection: a client host that vanished is
// noticed after about kKeepIdleS + kKeepCount * kKeepIntervalS seconds.
constexpr int kKeepIdleS = 30;
constexpr int kKeepIntervalS = 10;
constexpr int kKeepCount = 3;
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
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int status = getaddrinfo(peer.host.c_str(), peer.port.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve " + peer.host + ":" + peer.port + ": " + gai_strerror(status);
    return -1;
  }
  int listener = -1;
  error = "no address of " + peer.host;
  for (const addrinfo* a = found; a != nullptr && listener < 0; a = a->ai_next) {
    if (!peer.allow_remote && !is_loopback(a->ai_addr)) {
      error = peer.host + " is not a loopback address: binding it needs --allow-remote";
      continue;
    }
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, kBacklog) == 0) {
      listener = fd;
    } else {
      error = "cannot listen on " + peer.host + ":" + peer.port + ": " + std::strerror(errno);
      ::close(fd);
    }
  }
  freeaddrinfo(found);
  return listener;
}

// Tell whoever started us where we listen, then let go of standard output
// (the parent reads one line and closes its end).
void report_address(int listener) {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length);
  std::string port;
  const std::string host = numeric(reinterpret_cast<sockaddr*>(&bound), length, port);
  std::printf("listening %s %s\n", host.c_str(), port.c_str());
  std::fflush(stdout);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    ::close(null);
  }
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

bool is_loopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0 ||
           (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) != 0 && in6->sin6_addr.s6_addr[12] == 127);
  }
  return false;
}

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
