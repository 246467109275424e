// The Flight peer's authentication: the handshake of strategies/_net_peer/peer_auth.hpp
// (HMAC-SHA256 over a nonce of each side, keyed with the shared secret, which
// never crosses the network) carried by Flight's Handshake call, which then
// hands the client a random session token that every later call must carry.
#pragma once

#include <arrow/flight/server_auth.h>

#include <mutex>
#include <set>
#include <string>

namespace interop_bench::flight {

class SecretAuthHandler final : public arrow::flight::ServerAuthHandler {
 public:
  // `once`: issue a single token (the strategy's own local peer serves one client).
  SecretAuthHandler(std::string secret, bool once);

  arrow::Status Authenticate(const arrow::flight::ServerCallContext& context,
                             arrow::flight::ServerAuthSender* outgoing,
                             arrow::flight::ServerAuthReader* incoming) override;
  arrow::Status IsValid(const arrow::flight::ServerCallContext& context, const std::string& token,
                        std::string* peer_identity) override;

 private:
  arrow::Status issue_token(std::string& token);

  const std::string secret_;
  const bool once_;
  std::mutex mutex_;
  std::set<std::string> tokens_;  // guarded by mutex_
  bool issued_ = false;           // guarded by mutex_
};

}  // namespace interop_bench::flight
