// Helpers shared by device.cpp and device_transport.cpp (the Device's implementation);
// not part of the engine's API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "node/wg/crypto.hpp"
#include "node/wg/timers.hpp"

namespace ward::wg::detail {

inline bool expired(Nanos birth, Nanos max_age, Nanos now) {
  return birth + max_age <= now;
}

// The inner packet's family, total length (from its header) and source/destination
// addresses; nullopt unless it is a plausible IPv4/IPv6 packet that fits in `p`.
struct IpInfo {
  std::uint8_t family;
  std::size_t total_len;
  Bytes src;
  Bytes dst;
};

inline std::optional<IpInfo> parse_ip(Bytes p) {
  if (p.empty()) return std::nullopt;
  const int version = p[0] >> 4;
  if (version == 4 && p.size() >= 20) {
    const std::size_t total = static_cast<std::size_t>(p[2]) << 8 | p[3];
    if (total < 20 || total > p.size()) return std::nullopt;
    return IpInfo{4, total, p.subspan(12, 4), p.subspan(16, 4)};
  }
  if (version == 6 && p.size() >= 40) {
    const std::size_t total = 40 + (static_cast<std::size_t>(p[4]) << 8 | p[5]);
    if (total > p.size()) return std::nullopt;
    return IpInfo{6, total, p.subspan(8, 16), p.subspan(24, 16)};
  }
  return std::nullopt;
}

}  // namespace ward::wg::detail
