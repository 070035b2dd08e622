// Whole-map validation and delta application. Pure; thread-safe.
//
// validate_netmap() rejects the map WHOLE (the caller keeps its last good one) unless:
// - overlay.v4 is IPv4 and overlay.v6 is IPv6; every self address lies inside the overlay
//   of its family;
// - peer ids are non-empty and unique; public keys are unique, non-zero, and never our own;
// - every allowed IP lies inside the overlay of its family; allowed IPs of different
//   peers do not overlap, and none overlaps one of our own addresses;
// - every endpoint has a port 1..65535 and a unicast-looking address (not unspecified);
// - filter rules: src non-empty and inside the overlay; ports only with port protocols
//   (6, 17, 33, 132) and only if proto is non-empty; ranges 1 <= first <= last;
// - counts within limits (peers, total allowed IPs, rules, total src prefixes).
// The error names the first offending item by its JSON path.
#pragma once

#include <cstddef>

#include "common/base/result.hpp"
#include "node/netmap/netmap.hpp"

namespace ward::node {

struct ValidateLimits {
  std::size_t max_peers = 100'000;
  std::size_t max_total_allowed_ips = 1'000'000;
  std::size_t max_filter_rules = 100'000;
  std::size_t max_total_src = 1'000'000;
};

Status validate_netmap(const Netmap& map, const WgKey& own_public_key,
                       const ValidateLimits& limits = {});

// The map `base` with `delta` applied: peers_remove first (unknown keys are an error: the
// maps disagree), then peers_upsert (by public key: replaces a peer or adds one), then
// filter/self when present; serial becomes delta.serial. Errors (nothing is half-applied:
// base is const) if delta.base_serial != base.serial or delta.serial <= base.serial, or if
// the result fails validate_netmap().
Result<Netmap> apply_delta(const Netmap& base, const Delta& delta, const WgKey& own_public_key,
                           const ValidateLimits& limits = {});

}  // namespace ward::node
