#include "peer_auth.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "stream_io.hpp"

namespace interop_bench::ipc {
namespace {

constexpr char kWhiteSpace[] = " \t\r\n";

bool random_nonce(unsigned char* nonce) {
  return getrandom(nonce, kNonceBytes, 0) == static_cast<ssize_t>(kNonceBytes);
}

// Group or others may read (or write) it: a secret file must be its owner's alone.
bool too_open(const struct stat& info) {
  return S_ISREG(info.st_mode) && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
}

bool send_verdict(int fd, Status status, const Mac& mac) {
  PeerVerdict verdict{};
  verdict.magic = kPeerMagic;
  verdict.status = static_cast<std::uint32_t>(status);
  std::memcpy(verdict.mac, mac.data(), kMacBytes);
  return write_all(fd, &verdict, sizeof verdict);
}

}  // namespace

Mac peer_mac(std::string_view secret, std::string_view label, const unsigned char* peer_nonce,
             const unsigned char* client_nonce) {
  unsigned char message[sizeof kPeerClientLabel + 2 * kNonceBytes];
  static_assert(sizeof kPeerClientLabel == sizeof kPeerServerLabel);
  const std::size_t label_bytes =
      label.size() < sizeof kPeerClientLabel ? label.size() : sizeof kPeerClientLabel;
  std::memcpy(message, label.data(), label_bytes);
  std::memcpy(message + label_bytes, peer_nonce, kNonceBytes);
  std::memcpy(message + label_bytes + kNonceBytes, client_nonce, kNonceBytes);
  Mac mac{};
  unsigned int mac_bytes = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), message,
       label_bytes + 2 * kNonceBytes, mac.data(), &mac_bytes);
  return mac;
}

bool read_secret(const std::string& path, std::string& secret, std::string& error) {
  const int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open the secret file " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat info {};
  if (fstat(fd, &info) == 0 && too_open(info)) {
    error = "the secret file " + path + " may be read by others than its owner: chmod 600 it";
    if (fd != STDIN_FILENO) ::close(fd);
    return false;
  }
  char buffer[kMaxSecretBytes + 2];
  std::size_t used = 0;
  ssize_t got = 0;
  while (used < sizeof buffer && (got = ::read(fd, buffer + used, sizeof buffer - used)) != 0) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    used += static_cast<std::size_t>(got);
  }
  if (fd != STDIN_FILENO) ::close(fd);
  std::string text(buffer, used);
  text.erase(text.find_last_not_of(kWhiteSpace) + 1);
  if (got < 0 || text.size() < kMinSecretBytes || text.size() > kMaxSecretBytes) {
    error = "the secret in " + path + " must hold " + std::to_string(kMinSecretBytes) + " to " +
            std::to_string(kMaxSecretBytes) + " bytes (e.g. `openssl rand -hex 32 > FILE`)";
    return false;
  }
  secret = std::move(text);
  return true;
}

bool authenticate_client(int fd, std::string_view secret, std::string& why) {
  PeerHello hello{};
  hello.magic = kPeerMagic;
  hello.version = kPeerVersion;
  if (!random_nonce(hello.nonce)) {
    why = "no random nonce from the kernel";
    return false;
  }
  if (!write_all(fd, &hello, sizeof hello)) {
    why = "the client left before the handshake";
    return false;
  }
  PeerProof proof{};
  if (!read_all(fd, &proof, sizeof proof)) {
    why = "no proof of the secret in time";
    return false;
  }
  if (proof.magic != kPeerMagic || proof.version != kPeerVersion) {
    why = "not an interop-bench client of this protocol version";
    send_verdict(fd, Status::kError, Mac{});
    return false;
  }
  const Mac expected = peer_mac(secret, kPeerClientLabel, hello.nonce, proof.nonce);
  if (CRYPTO_memcmp(expected.data(), proof.mac, kMacBytes) != 0) {
    why = "wrong secret";
    send_verdict(fd, Status::kError, Mac{});
    return false;
  }
  if (!send_verdict(fd, Status::kOk,
                    peer_mac(secret, kPeerServerLabel, hello.nonce, proof.nonce))) {
    why = "the client left during the handshake";
    return false;
  }
  return true;
}

}  // namespace interop_bench::ipc
