// The reconciler: applies desired state through the backends, changing only what differs.
//
// Contracts:
// - apply(d) twice in a row with the same d makes no mutating backend call the second time
//   (reads such as get()/list() still happen).
// - Order: filter first (an atomic replace: access is narrowed before anything else and a
//   widened filter is harmless before its peer exists), then WireGuard, link up,
//   addresses, routes. A failing step does not stop later ones; the first error is
//   returned, and the next apply() re-reads actual state and retries what is missing.
// - drop_all() (revoked / quarantined / expired / certificate expired) replaces the filter
//   with the empty one (no accept) and removes every WireGuard peer, both attempted even
//   if the other fails, before returning.
// Not thread-safe: one reconciler per interface, driven from one thread. The backends must
// outlive it.
#pragma once

#include <optional>

#include "common/base/result.hpp"
#include "node/reconcile/backends.hpp"
#include "node/reconcile/desired.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node {

struct Backends {
  WireGuardBackend* wg = nullptr;
  AddressBackend* addresses = nullptr;
  RouteBackend* routes = nullptr;
  FilterBackend* filter = nullptr;
};

class Reconciler {
 public:
  // All four backends must be non-null.
  explicit Reconciler(Backends backends);

  Status apply(const DesiredState& desired);
  Status drop_all();

  // The filter last applied successfully (nullopt before the first, or after a failure).
  const std::optional<FilterRules>& applied_filter() const { return applied_filter_; }

 private:
  Status apply_filter(const FilterRules& rules);
  Status apply_wireguard(const WgConfig& wg);
  Status apply_addresses(const std::vector<net::InterfaceAddress>& addresses);
  Status apply_routes(const std::vector<net::Prefix>& routes);

  Backends b_;
  std::optional<FilterRules> applied_filter_;
};

}  // namespace ward::node
