// The network peer's handshake and secret file, natively: a client that holds
// the secret is served and sees the peer's proof; any other is refused with the
// reason; a secret file that is too short, too long or readable by others is
// refused before the peer listens.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "peer_auth.hpp"
#include "protocol.hpp"
#include "stream_io.hpp"

namespace ipc = interop_bench::ipc;

namespace {

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

// The client's side of the handshake with `secret`; the verdict it received.
ipc::PeerVerdict client(int fd, const std::string& secret) {
  ipc::PeerHello hello{};
  ipc::PeerVerdict verdict{};
  if (!ipc::read_all(fd, &hello, sizeof hello)) return verdict;
  ipc::PeerProof proof{};
  proof.magic = ipc::kPeerMagic;
  proof.version = ipc::kPeerVersion;
  std::memset(proof.nonce, 7, sizeof proof.nonce);
  const ipc::Mac mac = ipc::peer_mac(secret, ipc::kPeerClientLabel, hello.nonce, proof.nonce);
  std::memcpy(proof.mac, mac.data(), mac.size());
  if (ipc::write_all(fd, &proof, sizeof proof)) ipc::read_all(fd, &verdict, sizeof verdict);
  return verdict;
}

struct Handshake {
  bool served = false;
  std::string why;
  ipc::PeerVerdict verdict{};
};

Handshake handshake(const std::string& client_secret) {
  int ends[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  Handshake result;
  std::thread peer([&] { result.served = ipc::authenticate_client(ends[0], kSecret, result.why); });
  result.verdict = client(ends[1], client_secret);
  peer.join();
  close(ends[0]);
  close(ends[1]);
  return result;
}

std::string secret_file(const std::string& text, mode_t mode) {
  char path[] = "/tmp/ib_peer_test_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_TRUE(ipc::write_all(fd, text.data(), text.size()));
  fchmod(fd, mode);
  close(fd);
  return path;
}

}  // namespace

TEST(PeerHandshake, AClientWithTheSecretIsServedAndSeesThePeersProof) {
  const Handshake done = handshake(kSecret);
  EXPECT_TRUE(done.served) << done.why;
  EXPECT_EQ(done.verdict.status, static_cast<std::uint32_t>(ipc::Status::kOk));
  const ipc::Mac zero{};
  EXPECT_NE(std::memcmp(done.verdict.mac, zero.data(), zero.size()), 0);
}

TEST(PeerHandshake, AClientWithAnotherSecretIsRefused) {
  const Handshake done = handshake("another secret, long enough too");
  EXPECT_FALSE(done.served);
  EXPECT_EQ(done.why, "wrong secret");
  EXPECT_EQ(done.verdict.status, static_cast<std::uint32_t>(ipc::Status::kError));
}

TEST(PeerHandshake, TheTwoProofsDiffer) {
  unsigned char peer_nonce[ipc::kNonceBytes] = {1};
  unsigned char client_nonce[ipc::kNonceBytes] = {2};
  EXPECT_NE(ipc::peer_mac(kSecret, ipc::kPeerClientLabel, peer_nonce, client_nonce),
            ipc::peer_mac(kSecret, ipc::kPeerServerLabel, peer_nonce, client_nonce));
}

TEST(PeerSecret, IsReadWithoutItsTrailingNewline) {
  const std::string path = secret_file(std::string(kSecret) + "\n", 0600);
  std::string secret, error;
  EXPECT_TRUE(ipc::read_secret(path, secret, error)) << error;
  EXPECT_EQ(secret, kSecret);
  unlink(path.c_str());
}

TEST(PeerSecret, AFileOthersMayReadIsRefused) {
  const std::string path = secret_file(kSecret, 0644);
  std::string secret, error;
  EXPECT_FALSE(ipc::read_secret(path, secret, error));
  EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  unlink(path.c_str());
}

TEST(PeerSecret, TooShortOrTooLongIsRefused) {
  for (const std::string& text : {std::string("short\n"), std::string(5000, 'x')}) {
    const std::string path = secret_file(text, 0600);
    std::string secret, error;
    EXPECT_FALSE(ipc::read_secret(path, secret, error));
    EXPECT_NE(error.find("must hold 16 to 4096 bytes"), std::string::npos) << error;
    unlink(path.c_str());
  }
}
