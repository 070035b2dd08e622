// In-memory backends that behave like the real ones and record every MUTATING call, for
// tests of the reconciler and of the daemon's main loop. Not thread-safe.
//
// FakeWireGuard applies WgChange with UAPI/kernel semantics: replace_peers drops peers
// first; remove deletes; update_only ignores unknown peers; a new peer is created with
// its fields; an allowed IP claimed by one peer is taken away from any other peer (as
// WireGuard's allowed-IPs table does).
#pragma once

#include <string>
#include <vector>

#include "node/reconcile/backends.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node {

class FakeWireGuard final : public WireGuardBackend {
 public:
  Result<WgState> get() override;
  Status apply(const WgChange& change) override;

  WgState state;                  // the device; tests may set it directly
  std::vector<WgChange> applied;  // every apply() call, in order
  int get_calls = 0;
  std::optional<Error> fail_next_apply;  // returned (once) instead of applying
};

class FakeAddresses final : public AddressBackend {
 public:
  Result<std::vector<net::InterfaceAddress>> list() override { return addresses; }
  Status add(const net::InterfaceAddress& a) override;
  Status remove(const net::InterfaceAddress& a) override;
  Result<bool> is_up() override { return up; }
  Status set_up() override;

  std::vector<net::InterfaceAddress> addresses;
  bool up = false;
  std::vector<std::string> calls;  // "add 100.64.0.1/32", "remove ...", "up"
};

class FakeRoutes final : public RouteBackend {
 public:
  Result<std::vector<net::Prefix>> list() override { return routes; }
  Status add(const net::Prefix& p) override;
  Status remove(const net::Prefix& p) override;

  std::vector<net::Prefix> routes;
  std::vector<std::string> calls;  // "add 100.64.0.0/10", "remove ..."
};

class FakeFilter final : public FilterBackend {
 public:
  Status apply(const FilterRules& rules) override;
  Status remove() override;

  std::optional<FilterRules> current;  // nullopt = no table
  std::vector<FilterRules> applied;
  int remove_calls = 0;
  std::optional<Error> fail_next_apply;
};

// Sum of every fake's mutating calls, for "second apply makes zero calls" checks.
inline std::size_t mutation_count(const FakeWireGuard& w, const FakeAddresses& a,
                                  const FakeRoutes& r, const FakeFilter& f) {
  return w.applied.size() + a.calls.size() + r.calls.size() + f.applied.size() +
         static_cast<std::size_t>(f.remove_calls);
}

}  // namespace ward::node
