// The wire form of netmaps (docs/protocol.md, "The stream"): what a node receives, derived
// from a compiled policy::Netmap. Pure; thread-safe (no shared mutable state).
//
// Contracts:
// - Only what the protocol carries counts: provenance ("why"), rule indexes, a peer's
//   user and tags and self.status are NOT on the wire, so two netmaps that differ only
//   there are wire-equal and produce no message.
// - Filters are canonical: each compiled filter rule becomes at most two wire rules (port
//   protocols 6/17/132 with their port ranges; other protocols with `ports: []`), or one
//   rule with `ports: []` when every port is allowed; port 0 is dropped (the node accepts
//   ports 1..65535 only); a `proto` list is never empty (empty would mean "any protocol"
//   to the node) and `ports: []` is emitted for port protocols only when every port is
//   allowed (empty means "any port"). Rules are sorted (src, proto, ports) and unique.
// - Rendering is deterministic: keys in protocol order, peers sorted by id, removed keys
//   sorted, filter rules canonical. Every render_* returns one line ending in '\n'.
// - Endpoints that the node's strict decoder would reject (not an IP literal with port
//   1..65535, unspecified address) are left out, and at most kMaxEndpoints are sent, so
//   one bad report cannot make a node refuse its whole map.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/ip.hpp"
#include "controller/policy/netmap.hpp"

namespace ward::publish {

// Wall-clock time in milliseconds since the Unix epoch, passed in by the caller.
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

// Largest serial a node accepts (JSON numbers stay exact in a double).
inline constexpr std::uint64_t kMaxSerial = std::uint64_t{1} << 53;
inline constexpr std::size_t kMaxEndpoints = 16;

struct Overlay {
  net::Prefix v4;  // e.g. 100.64.0.0/10
  net::Prefix v6;  // e.g. fd7a:115c:a1e0::/48
};

struct WireRule {
  std::shared_ptr<const policy::SourceList> src;  // non-null, non-empty
  std::vector<std::uint8_t> proto;                // sorted, unique, non-empty
  std::vector<policy::PortRange> ports;           // 1 <= first <= last; empty = any port
};
using WireFilter = std::vector<WireRule>;

WireFilter wire_filter(const std::vector<policy::FilterRule>& filters);
bool same_wire_filter(const WireFilter& a, const WireFilter& b);
bool same_wire_self(const policy::SelfInfo& a, const policy::SelfInfo& b);
bool same_wire_peer(const policy::PeerInfo& a, const policy::PeerInfo& b);
// "192.0.2.1:51820" / "[2001:db8::1]:51820" with port 1..65535 and a specified address.
bool valid_endpoint(std::string_view text);

// One device's change from base_serial to serial, at wire level (peers keyed by public
// key, as the node applies them: removals first, then upserts).
struct WireDelta {
  std::uint64_t base_serial = 0;
  std::uint64_t serial = 0;
  std::vector<std::string> removed;  // public keys present at base_serial; sorted, unique
  std::vector<std::shared_ptr<const policy::PeerInfo>> added;    // keys absent at base
  std::vector<std::shared_ptr<const policy::PeerInfo>> changed;  // keys present at base
  std::shared_ptr<const WireFilter> filter;  // the whole new filter, when it changed
  std::optional<policy::SelfInfo> self;      // the new self, when it changed

  bool empty() const {
    return removed.empty() && added.empty() && changed.empty() && !filter && !self;
  }
  std::size_t peer_ops() const { return removed.size() + added.size() + changed.size(); }
};

// `{"type":"netmap","serial":N,"self":...,"overlay":...,"peers":[...],"filter":{...}}\n`
std::string render_netmap(const policy::Netmap& netmap, const WireFilter& filter,
                          std::uint64_t serial, const Overlay& overlay);
// `{"type":"delta","serial":N,"base_serial":B,"peers_upsert":[...],"peers_remove":[...]}`
// plus "filter"/"self" when present. Upserted peers carry `keepalive`.
std::string render_delta(const WireDelta& delta, std::uint16_t keepalive);
std::string render_keepalive(std::uint64_t serial);

enum class Terminal { kRevoked, kQuarantined, kExpired };
std::string_view terminal_name(Terminal kind);
// `{"type":"revoked","reason":"..."}\n` (reason truncated to 200 bytes).
std::string render_terminal(Terminal kind, std::string_view reason);

}  // namespace ward::publish
