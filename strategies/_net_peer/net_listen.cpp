#include "net_listen.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace interop_bench::ipc {

bool is_loopback(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) != 0 ||
           (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) != 0 && in6->sin6_addr.s6_addr[12] == 127);
  }
  return false;
}

BindableAddresses bindable_addresses(const ListenAddress& listen) {
  const std::string& host = listen.host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  BindableAddresses bindable;
  const int status = getaddrinfo(host.c_str(), listen.port.c_str(), &hints, &found);
  if (status != 0) {
    bindable.refusal = "cannot resolve " + host + ":" + listen.port + ": " + gai_strerror(status);
    return bindable;
  }
  bindable.all_bindable = true;
  bindable.refusal = "no address of " + host;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (!listen.allow_remote && !is_loopback(a->ai_addr)) {
      bindable.all_bindable = false;
      bindable.refusal = host + " is not a loopback address: binding it needs --allow-remote";
      continue;
    }
    SocketAddress address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    address.family = a->ai_family;
    address.socktype = a->ai_socktype;
    address.protocol = a->ai_protocol;
    bindable.addresses.push_back(address);
  }
  freeaddrinfo(found);
  return bindable;
}

void report_listening(const std::string& host, const std::string& port) {
  std::printf("listening %s %s\n", host.c_str(), port.c_str());
  std::fflush(stdout);
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, STDOUT_FILENO);
    ::close(null);
  }
}

}  // namespace interop_bench::ipc
