// ib_zmq_worker as a network peer (the zmq-tcp strategy): a REP socket bound on
// tcp://HOST:PORT that answers with ZmqServer (zmq_server.hpp), CURVE-encrypted
// and serving only clients whose CURVE key is the one derived from the shared
// secret (curve_keys.hpp; a ZAP handler checks it, RFC 27).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "net_listen.hpp"
#include "options.hpp"

namespace interop_bench::zmq_ipc {

struct PeerOptions : ipc::ListenAddress {
  bool once = false;   // exit when a client says STOP (a strategy's own peer)
  bool curve = true;   // false (loopback only): NULL security, to measure what CURVE costs
  std::string secret;  // the shared secret the CURVE keys are derived from
  std::int64_t max_message_bytes = 0;
};

// Bind, print "listening HOST PORT" on standard output, serve until killed, the
// parent's death, or (with `once`) a STOP. Returns the exit status: 0, 1 (the
// parent died), 2 (a broken socket) or 4 (the address may not or cannot be bound).
int serve_peer(const PeerOptions& peer, const ipc::WorkerOptions& options,
               const std::function<bool()>& parent_alive);

}  // namespace interop_bench::zmq_ipc
