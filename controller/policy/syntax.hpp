// Small context-free pieces of the policy language: port lists, protocols, RFC 3339
// times. Errors say what was expected (the caller adds file:line:column).
#pragma once

#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "controller/policy/policy.hpp"

namespace ward::policy {

// "*", "22", "8000-8080", "22,80,443-445" -> canonical PortSet.
Result<PortSet> parse_ports(std::string_view text);
// "tcp", "udp", "icmp" (ICMPv4 and ICMPv6), "ipv6-icmp", "sctp", "gre", "esp", "ah",
// "igmp", "ipv4"/"ip-in-ip", "egp", "igp", or an IANA number "0".."255".
Result<ProtoSet> parse_protocol(std::string_view text);
// RFC 3339 date-time ("2026-12-01T17:00:00Z", "2026-12-01T18:00:00.5+01:00") to UTC seconds;
// fractional seconds are truncated (an expiry never moves later).
Result<Time> parse_rfc3339(std::string_view text);
// "2026-12-01T17:00:00Z".
std::string format_rfc3339(Time t);

}  // namespace ward::policy
