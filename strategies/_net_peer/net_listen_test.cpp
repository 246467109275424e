// The network peers' listen address, natively: the loopback rule over what
// HOST:PORT resolves to (with the refusal texts the Python tests look for), and
// the HOST:PORT split of --listen.
#include "net_listen.hpp"

#include <gtest/gtest.h>

#include <string>

#include "peer_args.hpp"

namespace ipc = interop_bench::ipc;

TEST(NetListen, ALoopbackAddressMayBeBoundWithoutAllowRemote) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.2"}) {
    const ipc::BindableAddresses bindable = ipc::bindable_addresses({host, "0", false});
    EXPECT_TRUE(bindable.all_bindable) << host << ": " << bindable.refusal;
    ASSERT_EQ(bindable.addresses.size(), 1U) << host;
    EXPECT_TRUE(ipc::is_loopback(bindable.addresses[0].get())) << host;
  }
}

TEST(NetListen, AnyOtherAddressNeedsAllowRemote) {
  for (const std::string host : {"0.0.0.0", "::", "10.1.2.3", "::ffff:10.0.0.1"}) {
    const ipc::BindableAddresses refused = ipc::bindable_addresses({host, "0", false});
    EXPECT_FALSE(refused.all_bindable) << host;
    EXPECT_TRUE(refused.addresses.empty()) << host;
    EXPECT_EQ(refused.refusal,
              host + " is not a loopback address: binding it needs --allow-remote");
    const ipc::BindableAddresses allowed = ipc::bindable_addresses({host, "0", true});
    EXPECT_TRUE(allowed.all_bindable) << host;
    ASSERT_EQ(allowed.addresses.size(), 1U) << host;
    EXPECT_FALSE(ipc::is_loopback(allowed.addresses[0].get())) << host;
  }
}

TEST(NetListen, AHostThatDoesNotResolveIsNamed) {
  const ipc::BindableAddresses bindable =
      ipc::bindable_addresses({"no-such-host.invalid", "0", true});
  EXPECT_FALSE(bindable.all_bindable);
  EXPECT_TRUE(bindable.addresses.empty());
  EXPECT_EQ(bindable.refusal.rfind("cannot resolve no-such-host.invalid:0: ", 0), 0U)
      << bindable.refusal;
}

TEST(PeerArgs, AnAddressSplitsIntoHostAndPort) {
  ipc::ListenAddress listen;
  ASSERT_TRUE(ipc::split_address("127.0.0.1:0", listen));
  EXPECT_EQ(listen.host, "127.0.0.1");
  EXPECT_EQ(listen.port, "0");
  ASSERT_TRUE(ipc::split_address("[::1]:8080", listen));
  EXPECT_EQ(listen.host, "::1");
  EXPECT_EQ(listen.port, "8080");
  for (const char* malformed : {"127.0.0.1", "127.0.0.1:", ":80", "[]:80", "h:8x"}) {
    EXPECT_FALSE(ipc::split_address(malformed, listen)) << malformed;
  }
}
