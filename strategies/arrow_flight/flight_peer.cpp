// ib_flight_peer: the C++ side of the arrow-flight strategy, an Arrow Flight
// server whose DoExchange runs the kernel core on the record batch it receives.
//
//   ib_flight_peer --listen=HOST:PORT --secret-file=PATH|- [--allow-remote]
//                  [--once] [--parent=PID] [--max-bytes=N]
//                  [--fault=die-mid-call|stall]
//
// It prints "listening HOST PORT" once it listens (PORT 0: an ephemeral one),
// then serves until killed. Only a loopback HOST is accepted without
// --allow-remote; every call but the Handshake needs the session token that a
// client gets by proving it holds the secret (flight_auth.hpp). With --parent
// it never outlives its parent: PR_SET_PDEATHSIG, and a getppid() check for a
// parent that died before prctl ran. A request whose column holds more than
// --max-bytes of values (default: the other peers' limit, options.hpp) is
// refused before the peer allocates anything for it; gRPC itself, which is
// inside pyarrow's libarrow_flight with its symbols hidden, receives every
// message whole first (Flight lifts gRPC's message limit and offers only a
// builder hook typed for the gRPC headers it was built with).
#include <arrow/flight/server.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "flight_auth.hpp"
#include "flight_exchange.hpp"
#include "net_listen.hpp"
#include "options.hpp"
#include "peer_auth.hpp"

namespace {

using interop_bench::flight::ExchangeOptions;
using interop_bench::flight::Fault;

struct Arguments {
  std::string host;
  int port = -1;
  std::string secret_file;
  bool allow_remote = false;
  bool once = false;
  long parent_pid = 0;
  ExchangeOptions exchange{Fault::kNone, interop_bench::ipc::kDefaultMaxPayloadBytes};
};

class Peer final : public arrow::flight::FlightServerBase {
 public:
  explicit Peer(const ExchangeOptions& options) : options_(options) {}

  arrow::Status DoExchange(const arrow::flight::ServerCallContext& context,
                           std::unique_ptr<arrow::flight::FlightMessageReader> reader,
                           std::unique_ptr<arrow::flight::FlightMessageWriter> writer) override {
    return interop_bench::flight::serve_exchange(context, *reader, *writer, options_);
  }

 private:
  const ExchangeOptions options_;
};

bool parse_number(std::string_view text, long& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool parse_size(std::string_view text, std::uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value > 0;
}

bool parse_listen(std::string_view text, Arguments& args) {
  const std::size_t colon = text.rfind(':');
  long port = -1;
  if (colon == std::string_view::npos || !parse_number(text.substr(colon + 1), port) || port < 0 ||
      port > 65535) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  args.host = host;
  args.port = static_cast<int>(port);
  return !args.host.empty();
}

bool parse_fault(std::string_view text, Fault& fault) {
  if (text == "die-mid-call") {
    fault = Fault::kDieMidCall;
  } else if (text == "stall") {
    fault = Fault::kStall;
  } else {
    return false;
  }
  return true;
}

bool parse_argument(std::string_view arg, Arguments& args) {
  auto value_of = [arg](std::string_view flag, std::string_view& value) {
    if (!arg.starts_with(flag)) {
      return false;
    }
    value = arg.substr(flag.size());
    return true;
  };
  std::string_view value;
  if (value_of("--listen=", value)) {
    return parse_listen(value, args);
  }
  if (value_of("--secret-file=", value)) {
    args.secret_file = value;
    return !value.empty();
  }
  if (value_of("--parent=", value)) {
    return parse_number(value, args.parent_pid) && args.parent_pid > 0;
  }
  if (value_of("--max-bytes=", value)) {
    return parse_size(value, args.exchange.max_bytes);
  }
  if (value_of("--fault=", value)) {
    return parse_fault(value, args.exchange.fault);
  }
  args.allow_remote |= arg == "--allow-remote";
  args.once |= arg == "--once";
  return arg == "--allow-remote" || arg == "--once";
}

int fail(const std::string& message) {
  std::fprintf(stderr, "ib_flight_peer: %s\n", message.c_str());
  return 2;
}

int serve(const Arguments& args, std::string secret) {
  // A URI's IPv6 host is bracketed: grpc+tcp://[::1]:PORT.
  const bool ipv6 = args.host.find(':') != std::string::npos;
  auto location =
      arrow::flight::Location::ForGrpcTcp(ipv6 ? "[" + args.host + "]" : args.host, args.port);
  if (!location.ok()) {
    return fail(location.status().ToString());
  }
  arrow::flight::FlightServerOptions options(*location);
  options.auth_handler =
      std::make_shared<interop_bench::flight::SecretAuthHandler>(std::move(secret), args.once);
  Peer peer(args.exchange);
  if (const arrow::Status status = peer.Init(options); !status.ok()) {
    return fail("cannot listen on " + args.host + ": " + status.ToString());
  }
  std::printf("listening %s %d\n", args.host.c_str(), peer.port());
  std::fflush(stdout);
  if (const arrow::Status status = peer.Serve(); !status.ok()) {
    return fail(status.ToString());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    if (!parse_argument(argv[i], args)) {
      return fail(std::string("unknown or malformed argument '") + argv[i] + "'");
    }
  }
  if (args.port < 0 || args.secret_file.empty()) {
    return fail("usage: ib_flight_peer --listen=HOST:PORT --secret-file=PATH|- [--allow-remote]");
  }
  if (args.parent_pid > 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != args.parent_pid) {
      return 1;  // the parent died before prctl: nobody will ever talk to us
    }
  }
  // Flight's gRPC binds every address HOST names: each must be loopback (as
  // resolved, not as spelled), or --allow-remote.
  const interop_bench::ipc::BindableAddresses bindable = interop_bench::ipc::bindable_addresses(
      {args.host, std::to_string(args.port), args.allow_remote});
  if (!bindable.all_bindable) {
    return fail(bindable.refusal);
  }
  std::string secret;
  std::string error;
  if (!interop_bench::ipc::read_secret(args.secret_file, secret, error)) {
    return fail(error);
  }
  return serve(args, std::move(secret));
}
