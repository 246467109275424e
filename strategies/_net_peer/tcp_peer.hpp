// The worker as a network peer: a TCP listener whose clients, one at a time,
// authenticate (peer_auth.hpp) and then speak the pipe protocol over the
// connection (pipe_server.hpp).
#pragma once

#include <string>

#include "net_listen.hpp"
#include "options.hpp"

namespace interop_bench::ipc {

struct PeerOptions : ListenAddress {
  bool once = false;  // exit when the first authenticated client leaves
  std::string secret;
  // Bound on each blocking transfer of a connection (a frame that stops half
  // way, a client that stops reading, a handshake that never ends); an idle
  // client between requests is only checked by TCP keep-alive.
  int io_timeout_ms = 30000;
};

// Listen, print "listening HOST PORT" on standard output, serve clients until
// killed (or, with `once`, until the first authenticated one leaves). Returns
// the exit status: 0, or 4 when the listener cannot be set up.
int serve_tcp(const PeerOptions& peer, const WorkerOptions& options);

}  // namespace interop_bench::ipc
