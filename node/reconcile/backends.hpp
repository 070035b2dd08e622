// OS-facing interfaces the reconciler drives besides WireGuard. Each has a Linux
// implementation elsewhere (netlink/, filter/) and a fake in fake_backends.hpp.
#pragma once

#include <vector>

#include "common/base/result.hpp"
#include "common/net/ip.hpp"
#include "node/netmap/netmap.hpp"

namespace ward::node {

// Addresses on the tunnel interface and its link state.
class AddressBackend {
 public:
  virtual ~AddressBackend() = default;
  // Every address on the interface (including ones Ward did not add).
  virtual Result<std::vector<net::InterfaceAddress>> list() = 0;
  // Adding an address that exists, or removing one that does not, is ok.
  virtual Status add(const net::InterfaceAddress& address) = 0;
  virtual Status remove(const net::InterfaceAddress& address) = 0;
  virtual Result<bool> is_up() = 0;
  virtual Status set_up() = 0;
};

// Routes through the tunnel interface that WARD manages (implementations tag them, e.g.
// with a routing protocol number, and list() returns only those: routes others added to
// the interface are never touched).
class RouteBackend {
 public:
  virtual ~RouteBackend() = default;
  virtual Result<std::vector<net::Prefix>> list() = 0;
  virtual Status add(const net::Prefix& prefix) = 0;     // existing = ok
  virtual Status remove(const net::Prefix& prefix) = 0;  // missing = ok
};

// The inbound filter on the tunnel interface.
class FilterBackend {
 public:
  virtual ~FilterBackend() = default;
  // Atomically replaces the whole ruleset (on error the previous one stays in force).
  virtual Status apply(const FilterRules& rules) = 0;
  // Removes Ward's filter entirely (interface teardown). Missing = ok.
  virtual Status remove() = 0;
};

}  // namespace ward::node
