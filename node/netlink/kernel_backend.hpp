// WireGuardBackend for the Linux kernel module over generic netlink (wg_genl.hpp).
// Resolves the "wireguard" family per call (it appears when the module loads); not_found
// when the kernel has no WireGuard. Large changes go out as several SET_DEVICE messages
// (each acked) in order; they are not atomic as a whole: on error the caller re-reads and
// diffs again. Acts in the calling thread's network namespace. Not thread-safe.
#pragma once

#include <string>

#include "node/reconcile/wg_types.hpp"

namespace ward::node::netlink {

class KernelWgBackend final : public WireGuardBackend {
 public:
  explicit KernelWgBackend(std::string iface) : iface_(std::move(iface)) {}
  Result<WgState> get() override;
  Status apply(const WgChange& change) override;

 private:
  std::string iface_;
};

// True if the kernel knows the "wireguard" generic-netlink family (the `auto` backend
// choice).
bool kernel_has_wireguard();

}  // namespace ward::node::netlink
