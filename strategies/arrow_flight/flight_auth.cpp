#include "flight_auth.hpp"

#include <arrow/flight/types.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include <cstring>
#include <utility>

#include "peer_auth.hpp"
#include "protocol.hpp"

namespace interop_bench::flight {
namespace {

using arrow::Status;
using ipc::kMacBytes;
using ipc::kNonceBytes;

constexpr std::size_t kTokenBytes = 32;

bool fill_random(unsigned char* out, std::size_t size) {
  return getrandom(out, size, 0) == static_cast<ssize_t>(size);
}

Status refused(const char* why) {
  return arrow::flight::MakeFlightError(arrow::flight::FlightStatusCode::Unauthenticated, why);
}

}  // namespace

SecretAuthHandler::SecretAuthHandler(std::string secret, bool once)
    : secret_(std::move(secret)), once_(once) {}

// Server nonce out; client nonce || HMAC(client label) in; HMAC(server label) ||
// token out, so the client also learns that this server holds the secret.
Status SecretAuthHandler::Authenticate(const arrow::flight::ServerCallContext&,
                                       arrow::flight::ServerAuthSender* outgoing,
                                       arrow::flight::ServerAuthReader* incoming) {
  unsigned char nonce[kNonceBytes];
  if (!fill_random(nonce, kNonceBytes)) {
    return Status::IOError("no random bytes for the handshake's nonce");
  }
  ARROW_RETURN_NOT_OK(outgoing->Write(std::string(reinterpret_cast<char*>(nonce), kNonceBytes)));
  std::string proof;
  ARROW_RETURN_NOT_OK(incoming->Read(&proof));
  if (proof.size() != kNonceBytes + kMacBytes) {
    return refused("the handshake's proof has the wrong size");
  }
  const auto* client_nonce = reinterpret_cast<const unsigned char*>(proof.data());
  const ipc::Mac expected = ipc::peer_mac(secret_, ipc::kPeerClientLabel, nonce, client_nonce);
  if (CRYPTO_memcmp(expected.data(), client_nonce + kNonceBytes, kMacBytes) != 0) {
    return refused("the client does not hold this peer's secret");
  }
  std::string token;
  ARROW_RETURN_NOT_OK(issue_token(token));
  const ipc::Mac answer = ipc::peer_mac(secret_, ipc::kPeerServerLabel, nonce, client_nonce);
  return outgoing->Write(std::string(reinterpret_cast<const char*>(answer.data()), kMacBytes) +
                         token);
}

Status SecretAuthHandler::issue_token(std::string& token) {
  unsigned char bytes[kTokenBytes];
  if (!fill_random(bytes, kTokenBytes)) {
    return Status::IOError("no random bytes for a session token");
  }
  std::lock_guard lock(mutex_);
  if (once_ && issued_) {
    return refused("this peer serves one client, and it has one");
  }
  issued_ = true;
  token.assign(reinterpret_cast<char*>(bytes), kTokenBytes);
  tokens_.insert(token);
  return Status::OK();
}

Status SecretAuthHandler::IsValid(const arrow::flight::ServerCallContext&, const std::string& token,
                                  std::string* peer_identity) {
  std::lock_guard lock(mutex_);
  bool known = false;
  for (const std::string& issued : tokens_) {  // constant time in the token's bytes
    known |= token.size() == issued.size() &&
             CRYPTO_memcmp(token.data(), issued.data(), issued.size()) == 0;
  }
  if (!known) {
    return refused("no valid session token: authenticate (Handshake) with the peer's secret first");
  }
  *peer_identity = "client";
  return Status::OK();
}

}  // namespace interop_bench::flight
