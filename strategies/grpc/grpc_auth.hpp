// Who may call ib_grpc_peer: a client that opened a session with Hello and
// signs every call with HMAC-SHA256 over the session's nonce and a call number
// that only grows (grpc_array.proto). Chosen over TLS because it needs no
// certificate to be made, handed over or pinned, works the same on loopback and
// across a link, and leaves the arrays' bytes as they are (TLS would encrypt
// them and measure AES instead of the transport); like the tcp peer, it
// authenticates the calls but does not hide the arrays (a tunnel does that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "peer_auth.hpp"

namespace interop_bench::grpc_peer {

inline constexpr char kHelloLabel[] = "interop-bench grpc v1 hello";
inline constexpr char kCallLabel[] = "interop-bench grpc v1 call";
// The metadata of a signed call (binary values end in "-bin").
inline constexpr char kSessionKey[] = "ib-session-bin";
inline constexpr char kSeqKey[] = "ib-seq";
inline constexpr char kMacKey[] = "ib-mac-bin";
// Open sessions kept: Hello needs no secret, so a flood of them only pushes the
// oldest out, never grows the peer's memory.
inline constexpr std::size_t kMaxSessions = 64;

// The 32 bytes a call number is signed as: little-endian in the first 8.
std::string call_block(std::uint64_t seq);

class Sessions {
 public:
  explicit Sessions(std::string secret) : secret_(std::move(secret)) {}

  // A new session for `client_nonce` (kNonceBytes): its nonce and the proof
  // that this peer holds the secret; false when the nonce has the wrong size.
  bool open(std::string_view client_nonce, std::string& session_nonce, std::string& proof);

  // Whether call `seq` of `session` carries the right `mac` and a number above
  // the session's last; false with `why` set otherwise.
  bool admit(std::string_view session, std::string_view seq_text, std::string_view mac,
             std::string& why);

 private:
  std::string secret_;
  std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> last_seq_;  // session nonce -> last call
  std::deque<std::string> order_;                               // oldest session first
};

}  // namespace interop_bench::grpc_peer
