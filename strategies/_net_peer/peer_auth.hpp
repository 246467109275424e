// The network peer's side of the handshake of protocol.hpp (PeerHello,
// PeerProof, PeerVerdict): a client is served only once it has proved that it
// knows the shared secret, which never crosses the network.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "protocol.hpp"

namespace interop_bench::ipc {

// The bounds of a secret's length, in bytes (after trailing white space is
// dropped): long enough not to be guessed, short enough to read whole.
inline constexpr std::size_t kMinSecretBytes = 16;
inline constexpr std::size_t kMaxSecretBytes = 4096;

using Mac = std::array<unsigned char, kMacBytes>;

// HMAC-SHA256(secret, label || peer_nonce || client_nonce).
Mac peer_mac(std::string_view secret, std::string_view label, const unsigned char* peer_nonce,
             const unsigned char* client_nonce);

// The secret in `path` ("-": standard input) without its trailing white space;
// false with `error` set when it cannot be read, is too short or too long, or
// is a file that others than its owner may read.
bool read_secret(const std::string& path, std::string& secret, std::string& error);

// Run the handshake on `fd` (whose timeouts bound every step); true when the
// client proved it knows `secret`, else false with `why` set.
bool authenticate_client(int fd, std::string_view secret, std::string& why);

}  // namespace interop_bench::ipc
