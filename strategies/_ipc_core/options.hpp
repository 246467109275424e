// The worker's command-line options, shared by both transports.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace interop_bench::ipc {

// Misbehaviours the tests ask for, to check that the client does not trust
// the worker blindly. Never used outside python/tests/test_ipc.py.
// kLyingLength: every response header claims kLyingLengthBytes of payload;
// kStallReply / kDieMidReply: half of a reply's payload is sent, then the
// worker stalls / exits.
enum class Fault {
  kNone,
  kBadSeq,
  kBadStatus,
  kBadMagic,
  kSlow,
  kLyingLength,
  kStallReply,
  kDieMidReply
};

inline constexpr std::uint64_t kLyingLengthBytes = std::uint64_t{1} << 60;

// The largest request payload a worker accepts unless told otherwise
// (--max-bytes): above the full profile's 1e8 float64 elements (800 MB), far
// below what a lying length could ask a peer to allocate.
inline constexpr std::uint64_t kDefaultMaxPayloadBytes = std::uint64_t{1} << 30;

// The fault a --fault=KIND flag names, or nullopt for an unknown kind.
inline std::optional<Fault> fault_named(std::string_view kind) {
  if (kind == "bad-seq") return Fault::kBadSeq;
  if (kind == "bad-status") return Fault::kBadStatus;
  if (kind == "bad-magic") return Fault::kBadMagic;
  if (kind == "slow") return Fault::kSlow;
  if (kind == "lying-length") return Fault::kLyingLength;
  if (kind == "stall-reply") return Fault::kStallReply;
  if (kind == "die-mid-reply") return Fault::kDieMidReply;
  return std::nullopt;
}

// Sets `fault` to the one a --fault=KIND flag names; false for an unknown kind.
inline bool parse_fault(std::string_view kind, Fault& fault) {
  const auto named = fault_named(kind);
  if (named) fault = *named;
  return named.has_value();
}

struct WorkerOptions {
  // How long the worker spins for the next request after answering one before
  // it sleeps on the futex: back-to-back calls then skip the wake-up syscall.
  std::int64_t spin_ns = 0;
  Fault fault = Fault::kNone;
  // Requests announcing more payload bytes are refused before any allocation.
  std::uint64_t max_payload_bytes = kDefaultMaxPayloadBytes;
  // Under Fault::kSlow, a FIFO that the worker writes a line to when a call has
  // started stalling: the tests act on that, never on a timer.
  std::string stall_fifo;
};

// How long a kernel op stalls under Fault::kSlow: far longer than a test that
// kills the worker or interrupts the caller needs (it acts when told through
// stall_fifo), so a fault that goes unnoticed hangs the test instead of passing.
inline constexpr std::int64_t kSlowFaultMs = 60000;

// Fault::kSlow: say so through the FIFO (when there is one), then stall.
inline void stall(const WorkerOptions& options) {
  if (!options.stall_fifo.empty()) {
    const int fd = ::open(options.stall_fifo.c_str(), O_WRONLY);  // waits for the reader
    if (fd >= 0) {
      constexpr char kLine[] = "stalled\n";
      [[maybe_unused]] const auto written = ::write(fd, kLine, sizeof kLine - 1);
      ::close(fd);
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(kSlowFaultMs));
}

}  // namespace interop_bench::ipc
