// The CURVE keys of the zmq-tcp strategy, derived from the peer's shared secret
// (the secret file of peer_auth.hpp): each side's secret key is
// HMAC-SHA256(secret, its label), 32 bytes that Curve25519 takes as they are,
// and its public key follows from it (zmq_curve_public). Both ends derive both
// pairs, so the secret file is all they share; the secret itself never leaves
// the process, and CURVE sends only the client's public key, encrypted.
#pragma once

#include <string>
#include <string_view>

namespace interop_bench::zmq_ipc {

// The labels, as python/interop_bench/strategies/_zmq_tcp_channel.py has them.
inline constexpr std::string_view kServerKeyLabel = "interop-bench zmq-tcp curve server";
inline constexpr std::string_view kClientKeyLabel = "interop-bench zmq-tcp curve client";

struct CurveKeyPair {
  std::string public_z85;  // 40 characters of Z85 (ZMQ_CURVE_*KEY take them)
  std::string secret_z85;
};

// The key pair of `label` for `secret`; throws zmq::error_t when libzmq has no CURVE.
CurveKeyPair derive_key_pair(std::string_view secret, std::string_view label);

}  // namespace interop_bench::zmq_ipc
