// Creating and deleting the tunnel interface itself through rtnetlink (libmnl), in the
// calling thread's network namespace. (Addresses and routes on it are node/netlink's.)
#pragma once

#include <string>

#include "common/base/result.hpp"

namespace ward::node::daemon {

// RTM_NEWLINK kind "wireguard" (the kernel backend). already_exists is not an error.
// not_found / invalid_argument when the kernel has no WireGuard.
Status create_wireguard_link(const std::string& iface);
// RTM_DELLINK; a missing interface is ok.
Status delete_link(const std::string& iface);
bool link_exists(const std::string& iface);

}  // namespace ward::node::daemon
