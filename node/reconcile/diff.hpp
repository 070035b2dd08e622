// Pure diffing of desired against actual state: the minimal change that makes actual
// equal desired. Thread-safe (no state).
#pragma once

#include <vector>

#include "common/net/ip.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node {

// Minimal WireGuard change:
// - peers in actual but not desired: remove=true (listed first);
// - peers in both: update_only=true with ONLY the fields that differ (endpoint only when
//   desired names one and it differs from the current one; allowed IPs replaced only when
//   the sets differ); a peer with nothing to change is not listed (never removed and
//   re-added, so its session survives);
// - peers only in desired: created with all their fields and replace_allowed_ips;
// - private key / listen port only when managed (non-empty / non-zero) and different.
// An empty result means "already converged".
WgChange diff_wireguard(const WgConfig& desired, const WgState& actual);

template <class T>
struct ListDiff {
  std::vector<T> add;
  std::vector<T> remove;
  bool empty() const { return add.empty() && remove.empty(); }
};

// Addresses: removes actual addresses not desired, except IPv6 link-local (fe80::/10),
// which the kernel manages.
ListDiff<net::InterfaceAddress> diff_addresses(const std::vector<net::InterfaceAddress>& desired,
                                               const std::vector<net::InterfaceAddress>& actual);
ListDiff<net::Prefix> diff_routes(const std::vector<net::Prefix>& desired,
                                  const std::vector<net::Prefix>& actual);

}  // namespace ward::node
