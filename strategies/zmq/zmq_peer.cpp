#include "zmq_peer.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "curve_keys.hpp"
#include "tcp_peer.hpp"
#include "zmq_server.hpp"

namespace interop_bench::zmq_ipc {
namespace {

// A client has this long to finish the ZMTP and CURVE handshake.
constexpr int kHandshakeMs = 5000;
// TCP keep-alive as the tcp strategy's peer has it (tcp_peer.cpp): a client whose
// host vanished is dropped. (Not ZMTP heartbeats: libzmq resets their timeout
// only on a whole message, so a PONG queued behind a large frame on a slow link
// would drop a healthy connection.)
constexpr int kKeepIdleS = 30;
constexpr int kKeepIntervalS = 10;
constexpr int kKeepCount = 3;
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";  // where libzmq asks (RFC 27)
constexpr std::size_t kZapCredentialsFrame = 6;            // CURVE: the client's public key
constexpr std::size_t kKeyBytes = 32;

// libzmq's ZAP requests for the CURVE socket, answered on a thread of its own:
// "200" for the client key derived from the secret, "400" for any other. Its
// destructor shuts the context down (every blocking call in it ends) and joins.
class ZapHandler {
 public:
  ZapHandler(zmq::context_t& context, const std::string& client_public_z85)
      : context_(context), socket_(context, zmq::socket_type::rep) {
    zmq_z85_decode(expected_.data(), client_public_z85.c_str());
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind(kZapEndpoint);
    thread_ = std::thread([this] { run(); });
  }
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;
  ~ZapHandler() {
    context_.shutdown();
    thread_.join();
  }

 private:
  void run() {
    std::vector<zmq::message_t> frames;
    try {
      while (true) {
        frames.clear();
        do {
          frames.emplace_back();
          if (!socket_.recv(frames.back(), zmq::recv_flags::none)) return;
        } while (socket_.get(zmq::sockopt::rcvmore) != 0);
        answer(frames);
      }
    } catch (const zmq::error_t&) {
      // ETERM: the context is shutting down, so is the peer.
    }
  }

  // Frames: version, request id, domain, address, routing id, mechanism, credentials.
  void answer(const std::vector<zmq::message_t>& frames) {
    const bool known =
        frames.size() == kZapCredentialsFrame + 1 && frames[5].to_string_view() == "CURVE" &&
        frames[kZapCredentialsFrame].size() == kKeyBytes &&
        std::memcmp(frames[kZapCredentialsFrame].data(), expected_.data(), kKeyBytes) == 0;
    const std::string_view request_id = frames.size() > 1 ? frames[1].to_string_view() : "";
    const std::array<std::string_view, 6> reply = {
        "1.0", request_id, known ? "200" : "400", known ? "OK" : "unknown client key", "", ""};
    for (std::size_t i = 0; i < reply.size(); ++i) {
      socket_.send(zmq::buffer(reply[i]),
                   i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  zmq::context_t& context_;
  zmq::socket_t socket_;
  std::array<std::uint8_t, kKeyBytes> expected_{};
  std::thread thread_;
};

// The endpoint to bind for host:port (numeric; "*" for port 0), or nullopt with
// `error` set when no address of it may be bound. `ipv6`: it is an IPv6 one.
std::optional<std::string> endpoint_of(const PeerOptions& peer, bool& ipv6, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int status = getaddrinfo(peer.host.c_str(), peer.port.c_str(), &hints, &found);
  if (status != 0) {
    error = "cannot resolve " + peer.host + ":" + peer.port + ": " + gai_strerror(status);
    return std::nullopt;
  }
  std::optional<std::string> endpoint;
  error = "no address of " + peer.host;
  for (const addrinfo* a = found; a != nullptr && !endpoint; a = a->ai_next) {
    if (!peer.allow_remote && !ipc::is_loopback(a->ai_addr)) {
      error = peer.host + " is not a loopback address: binding it needs --allow-remote";
      continue;
    }
    char host[NI_MAXHOST] = "";
    if (getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) !=
        0) {
      continue;
    }
    ipv6 = a->ai_family == AF_INET6;
    std::string text = "tcp://";
    text.append(ipv6 ? "[" : "").append(host).append(ipv6 ? "]" : "").append(":");
    text.append(peer.port == "0" ? "*" : peer.port);
    endpoint = std::move(text);
  }
  freeaddrinfo(found);
  return endpoint;
}

void configure(zmq::socket_t& socket, const PeerOptions& peer, bool ipv6,
               const std::optional<CurveKeyPair>& server_keys) {
  socket.set(zmq::sockopt::linger, 0);  // a reply to a vanished client is dropped
  socket.set(zmq::sockopt::maxmsgsize, peer.max_message_bytes);
  socket.set(zmq::sockopt::ipv6, ipv6);
  socket.set(zmq::sockopt::handshake_ivl, kHandshakeMs);
  socket.set(zmq::sockopt::tcp_keepalive, 1);
  socket.set(zmq::sockopt::tcp_keepalive_idle, kKeepIdleS);
  socket.set(zmq::sockopt::tcp_keepalive_intvl, kKeepIntervalS);
  socket.set(zmq::sockopt::tcp_keepalive_cnt, kKeepCount);
  if (server_keys) {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, std::string_view(server_keys->secret_z85));
  }
}

// Tell whoever started us where we listen ("listening HOST PORT", as ib_worker
// --listen does), then let go of standard output.
void report_address(zmq::socket_t& socket) {
  std::string bound = socket.get(zmq::sockopt::last_endpoint);  // tcp://HOST:PORT
  const auto colon = bound.rfind(':');
  std::string host = bound.substr(std::strlen("tcp://"), colon - std::strlen("tcp://"));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  std::printf("listening %s %s\n", host.c_str(), bound.substr(colon + 1).c_str());
  std::fflush(stdout);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    ::close(null);
  }
}

}  // namespace

int serve_peer(const PeerOptions& peer, const ipc::WorkerOptions& options,
               const std::function<bool()>& parent_alive) {
  std::string error;
  bool ipv6 = false;
  const auto endpoint = endpoint_of(peer, ipv6, error);
  if (!endpoint) {
    std::fprintf(stderr, "ib_zmq_worker: %s\n", error.c_str());
    return 4;
  }
  if (peer.curve && zmq_has("curve") == 0) {
    std::fprintf(stderr,
                 "ib_zmq_worker: this libzmq has no CURVE (libsodium); --no-curve "
                 "serves loopback without it\n");
    return 4;
  }
  std::optional<CurveKeyPair> server_keys;
  zmq::context_t context(1);
  std::optional<ZapHandler> zap;  // before the socket: it must outlive it
  if (peer.curve) {
    server_keys = derive_key_pair(peer.secret, kServerKeyLabel);
    zap.emplace(context, derive_key_pair(peer.secret, kClientKeyLabel).public_z85);
  }
  zmq::socket_t socket(context, zmq::socket_type::rep);
  configure(socket, peer, ipv6, server_keys);
  try {
    socket.bind(*endpoint);
  } catch (const zmq::error_t& failure) {
    std::fprintf(stderr, "ib_zmq_worker: cannot listen on %s: %s\n", endpoint->c_str(),
                 failure.what());
    return 4;
  }
  report_address(socket);
  ZmqServer server(options);
  return server.serve(socket, parent_alive, peer.once);
}

}  // namespace interop_bench::zmq_ipc
