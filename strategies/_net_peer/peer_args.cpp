#include "peer_args.hpp"

#include <cstdlib>

namespace interop_bench::ipc {

bool split_address(std::string_view address, ListenAddress& listen) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    return false;
  }
  std::string_view name = address.substr(0, colon);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  listen.host = name;
  listen.port = address.substr(colon + 1);
  return !listen.host.empty() && listen.port.find_first_not_of("0123456789") == std::string::npos;
}

bool flag_value(std::string_view flag, int argc, char** argv, int& i, std::string& value) {
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

PeerFlag take_peer_flag(int argc, char** argv, int& i, PeerArguments& args) {
  const std::string_view arg = argv[i];
  // argv's strings end in a NUL, so a value's data() is one for strtol.
  auto value = [&](std::string_view flag) { return arg.substr(flag.size()); };
  if (flag_value("--listen", argc, argv, i, args.listen)) {
    return split_address(args.listen, args.peer) ? PeerFlag::kTaken : PeerFlag::kMalformed;
  }
  if (flag_value("--secret-file", argc, argv, i, args.secret_file)) {
    return PeerFlag::kTaken;
  }
  if (arg == "--allow-remote") {
    args.peer.allow_remote = true;
  } else if (arg.starts_with("--parent=")) {
    args.parent_pid = std::strtol(value("--parent=").data(), nullptr, 10);
  } else if (arg.starts_with("--max-bytes=")) {
    args.options.max_payload_bytes = std::strtoull(value("--max-bytes=").data(), nullptr, 10);
  } else if (arg.starts_with("--stall-fifo=")) {
    args.options.stall_fifo = value("--stall-fifo=");
  } else {
    return PeerFlag::kOther;
  }
  return PeerFlag::kTaken;
}

}  // namespace interop_bench::ipc
