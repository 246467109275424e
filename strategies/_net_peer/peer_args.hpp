// The network peers' command-line arguments (ib_worker --listen, ib_grpc_peer;
// ib_zmq_worker splits its --listen= address here too).
#pragma once

#include <string>
#include <string_view>

#include "net_listen.hpp"
#include "options.hpp"
#include "tcp_peer.hpp"

namespace interop_bench::ipc {

// "HOST:PORT" or "[V6HOST]:PORT" into the listen address's host and port.
bool split_address(std::string_view address, ListenAddress& listen);

// The value of `--flag=VALUE`, or of `--flag VALUE` (then `i` moves past it).
bool flag_value(std::string_view flag, int argc, char** argv, int& i, std::string& value);

// What ib_worker --listen and ib_grpc_peer are told alike.
struct PeerArguments {
  std::string listen;  // HOST:PORT
  std::string secret_file;
  long parent_pid = 0;
  PeerOptions peer;
  WorkerOptions options;
};

enum class PeerFlag {
  kOther,      // not one of the common flags
  kTaken,      // read into the arguments
  kMalformed,  // one of them, but its value is not
};

// argv[i] if it is --listen HOST:PORT, --secret-file FILE (either also with
// "="), --allow-remote, --parent=PID, --max-bytes=N or --stall-fifo=PATH;
// `i` moves past a value given as the next argument.
PeerFlag take_peer_flag(int argc, char** argv, int& i, PeerArguments& args);

}  // namespace interop_bench::ipc
