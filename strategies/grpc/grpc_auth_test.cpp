// Sessions: a call is admitted only with the session's HMAC over a call number
// that grows; an unknown session, a wrong MAC, a replayed or unparsable number
// are refused; a flood of Hellos keeps at most kMaxSessions.
#include "grpc_auth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gp = interop_bench::grpc_peer;
namespace ipc = interop_bench::ipc;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";

const unsigned char* bytes(const std::string& text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string mac(const std::string& secret, const std::string& session, std::uint64_t seq) {
  const ipc::Mac m =
      ipc::peer_mac(secret, gp::kCallLabel, bytes(session), bytes(gp::call_block(seq)));
  return std::string(reinterpret_cast<const char*>(m.data()), m.size());
}

std::string open_session(gp::Sessions& sessions) {
  const std::string client_nonce(ipc::kNonceBytes, 'c');
  std::string nonce, proof;
  EXPECT_TRUE(sessions.open(client_nonce, nonce, proof));
  const ipc::Mac expected =
      ipc::peer_mac(kSecret, gp::kHelloLabel, bytes(nonce), bytes(client_nonce));
  EXPECT_EQ(proof, std::string(reinterpret_cast<const char*>(expected.data()), expected.size()));
  return nonce;
}

TEST(GrpcSessions, AdmitsSignedCallsWhoseNumberGrows) {
  gp::Sessions sessions(kSecret);
  const std::string session = open_session(sessions);
  std::string why;
  EXPECT_TRUE(sessions.admit(session, "1", mac(kSecret, session, 1), why)) << why;
  EXPECT_TRUE(sessions.admit(session, "5", mac(kSecret, session, 5), why)) << why;
  EXPECT_FALSE(sessions.admit(session, "5", mac(kSecret, session, 5), why));
  EXPECT_NE(why.find("a replay"), std::string::npos) << why;
  EXPECT_FALSE(sessions.admit(session, "3", mac(kSecret, session, 3), why));
}

TEST(GrpcSessions, RefusesWrongMacsUnknownSessionsAndGarbage) {
  gp::Sessions sessions(kSecret);
  const std::string session = open_session(sessions);
  std::string why;
  EXPECT_FALSE(
      sessions.admit(session, "1", mac("another secret of 32 bytes......", session, 1), why));
  EXPECT_NE(why.find("secret differs"), std::string::npos) << why;
  const std::string stranger(ipc::kNonceBytes, 's');
  EXPECT_FALSE(sessions.admit(stranger, "1", mac(kSecret, stranger, 1), why));
  EXPECT_NE(why.find("unknown or expired"), std::string::npos) << why;
  for (const char* seq : {"", "1x", "-1", "99999999999999999999999"}) {
    EXPECT_FALSE(sessions.admit(session, seq, mac(kSecret, session, 1), why)) << seq;
  }
  EXPECT_FALSE(sessions.admit("", "", "", why));
  EXPECT_FALSE(sessions.open("short", why, why));
}

TEST(GrpcSessions, KeepsAtMostTheLimitOfSessions) {
  gp::Sessions sessions(kSecret);
  const std::string first = open_session(sessions);
  for (std::size_t i = 0; i < gp::kMaxSessions; ++i) open_session(sessions);
  std::string why;
  EXPECT_FALSE(sessions.admit(first, "1", mac(kSecret, first, 1), why));  // pushed out
}

}  // namespace
