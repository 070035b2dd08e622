// The node's view of its netmap (docs/protocol.md, "The stream"): plain values, decoded
// and validated by decode.hpp / validate.hpp, consumed by the reconciler.
//
// Contracts: a Netmap that came out of decode_stream_message() + validate_netmap() satisfies
// every rule listed in validate.hpp; code downstream may rely on that (unique keys,
// allowed IPs inside the overlay and disjoint between peers, sane ports). All types are
// values with no hidden sharing; safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "common/net/ip.hpp"
#include "node/netmap/wg_key.hpp"

namespace ward::node {

// A UDP endpoint "192.0.2.10:51820" or "[2001:db8::1]:51820". IP literals only (no host
// names: the node never resolves names it got from the network); port 1..65535.
struct Endpoint {
  net::IpAddress ip;
  std::uint16_t port = 0;

  static Result<Endpoint> parse(std::string_view text);
  std::string to_string() const;

  auto operator<=>(const Endpoint&) const = default;
  bool operator==(const Endpoint&) const = default;
};

struct Peer {
  std::string id;
  std::string name;
  WgKey public_key;
  std::vector<net::Prefix> allowed_ips;
  std::vector<Endpoint> endpoints;         // first one is used
  std::uint16_t persistent_keepalive = 0;  // seconds, 0 = off

  bool operator==(const Peer&) const = default;
};

// Inclusive port range, 1 <= first <= last <= 65535.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  auto operator<=>(const PortRange&) const = default;
  bool operator==(const PortRange&) const = default;
};

// One inbound allow rule: new flows from any of `src`, with IP protocol in `proto`
// (IANA numbers; empty = any protocol), to a destination port in `ports` (empty = any
// port; non-empty only when every proto has ports: 6 TCP, 17 UDP, 33 DCCP, 132 SCTP).
struct FilterRule {
  std::vector<net::Prefix> src;
  std::vector<std::uint8_t> proto;
  std::vector<PortRange> ports;
  bool operator==(const FilterRule&) const = default;
};

// The inbound filter; an empty list admits no new flow (deny by default).
struct FilterRules {
  std::vector<FilterRule> inbound;
  bool operator==(const FilterRules&) const = default;
};

struct SelfInfo {
  std::string id;
  std::string name;
  std::optional<std::string> user;
  std::vector<std::string> tags;
  std::vector<net::InterfaceAddress> addresses;  // e.g. 100.64.0.3/32
  bool operator==(const SelfInfo&) const = default;
};

struct Overlay {
  net::Prefix v4;
  net::Prefix v6;
  bool operator==(const Overlay&) const = default;
};

struct Netmap {
  std::uint64_t serial = 0;
  SelfInfo self;
  Overlay overlay;
  std::vector<Peer> peers;
  FilterRules filter;
  bool operator==(const Netmap&) const = default;
};

// The difference from base_serial to serial. The overlay never changes in a delta.
struct Delta {
  std::uint64_t serial = 0;
  std::uint64_t base_serial = 0;
  std::vector<Peer> peers_upsert;
  std::vector<WgKey> peers_remove;
  std::optional<FilterRules> filter;  // replaces the filter whole when present
  std::optional<SelfInfo> self;
  bool operator==(const Delta&) const = default;
};

struct Keepalive {
  std::uint64_t serial = 0;
  bool operator==(const Keepalive&) const = default;
};

enum class TerminalKind { kRevoked, kQuarantined, kExpired };
std::string_view terminal_kind_name(TerminalKind kind);

// revoked / quarantined / expired: drop everything, then the stream closes.
struct Terminal {
  TerminalKind kind = TerminalKind::kRevoked;
  std::string reason;
  bool operator==(const Terminal&) const = default;
};

}  // namespace ward::node
