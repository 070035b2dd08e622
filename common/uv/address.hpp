// SocketAddress: an IPv4 or IPv6 address with a port, as libuv and the kernel want it.
//
// Only numeric literals are accepted here (no name resolution); connect_tcp() resolves
// names. Textual form is "192.0.2.7:51820" or "[2001:db8::1]:443".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>

#include "common/base/result.hpp"

namespace ward::uv {

class SocketAddress {
 public:
  // ip: an IPv4 or IPv6 literal ("::1", "0.0.0.0"); IPv6 scope ids are not accepted.
  static Result<SocketAddress> parse(std::string_view ip, std::uint16_t port);
  // "ip:port" or "[ipv6]:port".
  static Result<SocketAddress> parse(std::string_view host_port);
  // From a kernel/libuv sockaddr of family AF_INET or AF_INET6; nullopt otherwise.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa);

  std::string to_string() const;
  // The address without the port ("::1").
  std::string ip() const;
  std::uint16_t port() const;
  int family() const { return storage_.ss_family; }
  bool is_loopback() const;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const;

 private:
  SocketAddress() = default;
  sockaddr_storage storage_{};
};

}  // namespace ward::uv
