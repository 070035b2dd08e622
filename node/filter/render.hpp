// Renders Ward's inbound filter as ONE nftables script for a table of Ward's own,
// `table inet ward_<iface>`. Pure; thread-safe.
//
// Only packets that arrive on the tunnel interface are affected: the base chains have
// policy accept and only jump for `iifname "<iface>"`; nothing outside the table is named.
//   input:   iifname IFACE jump ward_in
//   forward: iifname IFACE counter drop   (a node never routes tunnel traffic onward)
//   ward_in: ct state established,related accept
//            ct state invalid counter drop
//            one accept per (rule, address family): ip[6] saddr {src} [meta l4proto {p}]
//              [th dport {ports}] accept   (ICMP 1 only for IPv4, ICMPv6 58 only for IPv6)
//            counter drop                  (the default: everything else, counted)
// The script first declares the table, then flushes it, then re-adds everything, so
// running it is one atomic transaction whether or not the table existed before.
#pragma once

#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "node/netmap/netmap.hpp"

namespace ward::node::filter {

// "ward_<iface>" with every character outside [A-Za-z0-9_] replaced by '_'. Error if
// iface is not a valid interface name (1..15 of [A-Za-z0-9_.-]).
Result<std::string> table_name(std::string_view iface);

// The atomic replace script. `rules` should have passed validate_netmap.
Result<std::string> render_ruleset(std::string_view iface, const FilterRules& rules);

// Removes the table if it exists (declare + delete: never an error when absent).
Result<std::string> render_remove(std::string_view iface);

}  // namespace ward::node::filter
