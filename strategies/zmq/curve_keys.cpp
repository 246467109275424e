#include "curve_keys.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <zmq.hpp>

namespace interop_bench::zmq_ipc {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kZ85Chars = 40;  // 32 bytes in Z85, without the terminating NUL

}  // namespace

CurveKeyPair derive_key_pair(std::string_view secret, std::string_view label) {
  std::array<unsigned char, kKeyBytes> seed{};
  unsigned int seed_bytes = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), seed.data(),
       &seed_bytes);
  std::array<char, kZ85Chars + 1> secret_z85{};
  std::array<char, kZ85Chars + 1> public_z85{};
  zmq_z85_encode(secret_z85.data(), seed.data(), seed.size());
  if (zmq_curve_public(public_z85.data(), secret_z85.data()) != 0) {
    throw zmq::error_t();  // ENOTSUP: this libzmq was built without CURVE
  }
  return {std::string(public_z85.data(), kZ85Chars), std::string(secret_z85.data(), kZ85Chars)};
}

}  // namespace interop_bench::zmq_ipc
