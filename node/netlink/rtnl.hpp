// Interface addresses, link state and routes through rtnetlink (libmnl), implementing the
// reconciler's AddressBackend and RouteBackend for one interface.
//
// Contracts: every call resolves the interface by name afresh (it may be re-created by a
// restarted wireguard-go); not_found if it does not exist. add() of an existing address or
// route and remove() of a missing one succeed. Routes are tagged with routing protocol
// kWardRouteProtocol in the main table; list() returns only those on this interface, so
// routes anyone else added are never touched. Sockets are opened per call in the CALLING
// thread's network namespace. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "common/net/ip.hpp"
#include "node/reconcile/backends.hpp"

namespace ward::node::netlink {

// 'W'. Shows as "proto 87" in `ip route`.
inline constexpr std::uint8_t kWardRouteProtocol = 87;

class RtnlAddressBackend final : public AddressBackend {
 public:
  explicit RtnlAddressBackend(std::string iface) : iface_(std::move(iface)) {}
  Result<std::vector<net::InterfaceAddress>> list() override;
  Status add(const net::InterfaceAddress& address) override;
  Status remove(const net::InterfaceAddress& address) override;
  Result<bool> is_up() override;
  Status set_up() override;

 private:
  std::string iface_;
};

class RtnlRouteBackend final : public RouteBackend {
 public:
  explicit RtnlRouteBackend(std::string iface) : iface_(std::move(iface)) {}
  Result<std::vector<net::Prefix>> list() override;
  Status add(const net::Prefix& prefix) override;
  Status remove(const net::Prefix& prefix) override;

 private:
  std::string iface_;
};

// The interface index, or not_found.
Result<int> interface_index(const std::string& iface);

}  // namespace ward::node::netlink
