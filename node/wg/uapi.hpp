// The cross-platform WireGuard configuration protocol (UAPI, as wireguard-go and `wg`
// speak it over /var/run/wireguard/IFACE.sock), as a pure layer over Device: text in,
// text out, no sockets. The daemon frames requests and calls these.
//
//   get=1\n\n            -> uapi_get(): key=value lines, then "errno=0\n\n"
//   set=1\n<lines>\n\n   -> uapi_set(): applies the lines, returns an errno value
//
// uapi_set parses the whole request before touching the device, so malformed input
// (an unknown key, a bad key, endpoint or prefix) returns EINVAL and changes nothing.
// After applying the peers it answers initiations that arrived before their peer did
// (Device::answer_early_initiations), and only then turns on persistent keepalives.
// Secrets are never put into error text; get output contains the private and preshared
// keys because that is the protocol (the socket is root-only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "node/wg/device.hpp"

namespace ward::wg {

// Parsers shared with tests and tools. Keys are 64 hex digits.
std::optional<PublicKey> parse_hex_key(std::string_view hex);
std::string hex_key(std::span<const std::uint8_t, kKeyLen> key);
// "192.0.2.1:51820" or "[2001:db8::1]:51820" (numeric only).
std::optional<Endpoint> parse_endpoint(std::string_view text);
// "100.64.0.0/10", "fd7a::/48"; a bare address means a host prefix.
std::optional<IpPrefix> parse_prefix(std::string_view text);
std::string to_string(const IpPrefix& prefix);

// The body of a get response: every line including the final "errno=0" and blank line.
std::string uapi_get(const Device& device);

struct UapiSetResult {
  int error = 0;                     // 0 or an errno value (EINVAL, ENOENT...)
  std::string message;               // why, for the daemon's log (never a secret)
  bool listen_port_changed = false;  // the daemon must rebind its socket
};
// `lines` is the request after "set=1\n" up to (not including) the blank line.
UapiSetResult uapi_set(Device& device, std::string_view lines, Time now, Output& out);

}  // namespace ward::wg
