// Internal to ward_net: addresses as 128-bit unsigned integers, for interval arithmetic
// (PrefixSet, AddressAllocator). v4 addresses use the low 32 bits. Not a public API.
#pragma once

#include <cstdint>

#include "common/net/ip.hpp"

namespace ward::net::detail {

__extension__ typedef unsigned __int128 U128;

inline constexpr U128 kU128Max = ~U128{0};

inline U128 to_u128(const IpAddress& ip) {
  U128 v = 0;
  for (std::uint8_t b : ip.bytes())
    v = (v << 8) | b;
  return v;
}

inline IpAddress from_u128(Family family, U128 v) {
  if (family == Family::kV4) return IpAddress::v4(static_cast<std::uint32_t>(v));
  std::array<std::uint8_t, 16> b{};
  for (int i = 15; i >= 0; --i) {
    b[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
  return IpAddress::v6(b);
}

inline int family_width(Family family) {
  return family == Family::kV4 ? 32 : 128;
}

// Offset of the last address in a prefix of `host_bits` host bits: 2^host_bits - 1.
inline U128 host_mask(int host_bits) {
  return host_bits >= 128 ? kU128Max : (U128{1} << host_bits) - 1;
}

}  // namespace ward::net::detail
