#include "zmq_peer.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "curve_keys.hpp"
#include "net_listen.hpp"
#include "zmq_server.hpp"

namespace interop_bench::zmq_ipc {
namespace {

// A client has this long to finish the ZMTP and CURVE handshake.
constexpr int kHandshakeMs = 5000;
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
  const ipc::BindableAddresses bindable = ipc::bindable_addresses(peer);
  error = bindable.refusal;
  for (const ipc::SocketAddress& a : bindable.addresses) {
    char host[NI_MAXHOST] = "";
    if (getnameinfo(a.get(), a.length, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) {
      continue;
    }
    ipv6 = a.family == AF_INET6;
    std::string text = "tcp://";
    text.append(ipv6 ? "[" : "").append(host).append(ipv6 ? "]" : "").append(":");
    text.append(peer.port == "0" ? "*" : peer.port);
    return text;
  }
  return std::nullopt;
}

void configure(zmq::socket_t& socket, const PeerOptions& peer, bool ipv6,
               const std::optional<CurveKeyPair>& server_keys) {
  socket.set(zmq::sockopt::linger, 0);  // a reply to a vanished client is dropped
  socket.set(zmq::sockopt::maxmsgsize, peer.max_message_bytes);
  socket.set(zmq::sockopt::ipv6, ipv6);
  socket.set(zmq::sockopt::handshake_ivl, kHandshakeMs);
  // TCP keep-alive as every peer has it: a client whose host vanished is
  // dropped. (Not ZMTP heartbeats: libzmq resets their timeout only on a whole
  // message, so a PONG queued behind a large frame on a slow link would drop a
  // healthy connection.)
  socket.set(zmq::sockopt::tcp_keepalive, 1);
  socket.set(zmq::sockopt::tcp_keepalive_idle, ipc::kKeepIdleS);
  socket.set(zmq::sockopt::tcp_keepalive_intvl, ipc::kKeepIntervalS);
  socket.set(zmq::sockopt::tcp_keepalive_cnt, ipc::kKeepCount);
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
  ipc::report_listening(host, bound.substr(colon + 1));
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
