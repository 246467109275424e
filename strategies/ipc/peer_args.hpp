// The network peers' command-line arguments (ib_worker --listen, ib_grpc_peer).
#pragma once

#include <string>
#include <string_view>

#include "tcp_peer.hpp"

namespace interop_bench::ipc {

// "HOST:PORT" or "[V6HOST]:PORT" into the peer's host and port.
inline bool split_address(std::string_view address, PeerOptions& peer) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    return false;
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  peer.host = host;
  peer.port = address.substr(colon + 1);
  return !peer.host.empty() && peer.port.find_first_not_of("0123456789") == std::string::npos;
}

// The value of `--flag=VALUE`, or of `--flag VALUE` (then `i` moves past it).
inline bool flag_value(std::string_view flag, int argc, char** argv, int& i, std::string& value) {
  const std::string_view arg = argv[i];
  if (arg == flag && i + 1 < argc) {
    value = argv[++i];
    return true;
  }
  if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=') {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

}  // namespace interop_bench::ipc
