// Desired node state derived from a validated netmap. Pure.
#pragma once

#include <cstdint>
#include <vector>

#include "common/base/secret.hpp"
#include "common/net/ip.hpp"
#include "node/netmap/netmap.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node {

struct DesiredState {
  WgConfig wg;
  std::vector<net::InterfaceAddress> addresses;  // sorted
  std::vector<net::Prefix> routes;               // sorted: the overlay prefixes
  FilterRules filter;
};

// From `map` (which must have passed validate_netmap): WireGuard with `private_key`
// (clamped, as devices report it) and
// `listen_port`, one peer per netmap peer (its allowed IPs normalized, its FIRST endpoint,
// its keepalive), our addresses, routes for both overlay prefixes via the interface, and
// the inbound filter as given.
DesiredState desired_from_netmap(const Netmap& map, const SecretBytes& private_key,
                                 std::uint16_t listen_port);

}  // namespace ward::node
