// A UDP endpoint (IPv4 or IPv6 address and port) as the pure core sees it: plain bytes,
// no sockaddr, so the core stays free of socket headers. The I/O layer converts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ward::wg {

struct Endpoint {
  std::uint8_t family = 0;              // 0 = none, 4 = IPv4, 6 = IPv6
  std::array<std::uint8_t, 16> addr{};  // IPv4 uses the first 4 bytes
  std::uint16_t port = 0;               // host byte order

  static Endpoint v4(std::array<std::uint8_t, 4> a, std::uint16_t port) {
    Endpoint e;
    e.family = 4;
    for (int i = 0; i < 4; ++i)
      e.addr[i] = a[i];
    e.port = port;
    return e;
  }
  static Endpoint v6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) {
    Endpoint e;
    e.family = 6;
    e.addr = a;
    e.port = port;
    return e;
  }
  bool valid() const { return family == 4 || family == 6; }
  std::size_t addr_len() const { return family == 4 ? 4 : family == 6 ? 16 : 0; }
  std::span<const std::uint8_t> address() const { return {addr.data(), addr_len()}; }
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "192.0.2.1:51820" or "[2001:db8::1]:51820" (for logs and `wg show`).
std::string to_string(const Endpoint& e);

}  // namespace ward::wg
