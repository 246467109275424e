#include "grpc_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstring>

namespace interop_bench::grpc_peer {
namespace {

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

std::string call_block(std::uint64_t seq) {
  std::string block(ipc::kNonceBytes, '\0');
  for (std::size_t i = 0; i < sizeof seq; ++i) {
    block[i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  }
  return block;
}

bool Sessions::open(std::string_view client_nonce, std::string& session_nonce, std::string& proof) {
  if (client_nonce.size() != ipc::kNonceBytes) {
    return false;
  }
  session_nonce.assign(ipc::kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(session_nonce.data()),
                 static_cast<int>(session_nonce.size())) != 1) {
    return false;
  }
  const ipc::Mac mac =
      ipc::peer_mac(secret_, kHelloLabel, bytes(session_nonce), bytes(client_nonce));
  proof.assign(reinterpret_cast<const char*>(mac.data()), mac.size());
  const std::lock_guard lock(mutex_);
  if (order_.size() == kMaxSessions) {
    last_seq_.erase(order_.front());
    order_.pop_front();
  }
  last_seq_.emplace(session_nonce, 0);
  order_.push_back(session_nonce);
  return true;
}

bool Sessions::admit(std::string_view session, std::string_view seq_text, std::string_view mac,
                     std::string& why) {
  std::uint64_t seq = 0;
  const auto parsed = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
  if (session.size() != ipc::kNonceBytes || mac.size() != ipc::kMacBytes ||
      parsed.ec != std::errc() || parsed.ptr != seq_text.data() + seq_text.size()) {
    why = "the call is not signed: open a session with Hello and sign each call";
    return false;
  }
  const ipc::Mac expected =
      ipc::peer_mac(secret_, kCallLabel, bytes(session), bytes(call_block(seq)));
  if (CRYPTO_memcmp(expected.data(), mac.data(), expected.size()) != 0) {
    why = "the call's signature is wrong: the client's secret differs from this peer's";
    return false;
  }
  const std::lock_guard lock(mutex_);
  const auto found = last_seq_.find(session);
  if (found == last_seq_.end()) {
    why = "unknown or expired session: open a new one with Hello";
    return false;
  }
  if (seq <= found->second) {
    why = "call number " + std::to_string(seq) + " was used already (a replay)";
    return false;
  }
  found->second = seq;
  return true;
}

}  // namespace interop_bench::grpc_peer
