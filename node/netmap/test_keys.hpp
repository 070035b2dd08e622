// Test helper: deterministic distinct public keys.
#pragma once

#include "node/netmap/wg_key.hpp"

namespace ward::node::testing {

inline WgKey key_n(unsigned n) {
  std::array<std::uint8_t, kWgKeyLen> b{};
  b[0] = 0x42;
  b[1] = static_cast<std::uint8_t>(n >> 24);
  b[2] = static_cast<std::uint8_t>(n >> 16);
  b[3] = static_cast<std::uint8_t>(n >> 8);
  b[4] = static_cast<std::uint8_t>(n);
  return WgKey(b);
}

}  // namespace ward::node::testing
