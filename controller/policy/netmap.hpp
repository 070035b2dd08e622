// Netmap: exactly what one device receives — itself, its peers, and the INBOUND filter it
// enforces — in a canonical form (peers sorted by device id, filters by rule order) with
// a content hash.
//
// Contracts:
// - A Netmap is immutable once published by the Compiler (shared_ptr<const Netmap>) and
//   safe to read from any thread. PeerInfo, SourceList and the chunks of a PeerList are
//   shared between netmaps (and between versions of one netmap).
// - Peer relation is symmetric: p is in d's peers iff d is in p's peers.
// - A packet from peer address A to this device with (proto, port) is allowed iff some
//   filter rule has A in src and ports_protos_allow(ports, protos, proto, port).
// - Two netmaps are equal (same_content) iff their canonical content is equal; hash is a
//   64-bit digest of that content (equal content -> equal hash). Use same_content, not the
//   hash, where exactness matters.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/net/ip.hpp"
#include "controller/policy/inventory.hpp"
#include "controller/policy/peer_list.hpp"
#include "controller/policy/policy.hpp"
#include "controller/policy/shared.hpp"

namespace ward::policy {

// Sorted, unique source prefixes of one rule, shared by every netmap the rule reaches.
struct SourceList {
  std::vector<net::Prefix> prefixes;
  std::uint64_t hash = 0;
  bool contains(const net::IpAddress& a) const;
};

// A rule's port set, shared by the filter rules of every netmap the rule reaches.
using SharedPorts = Shared<PortSet>;

struct FilterRule {
  std::shared_ptr<const SourceList> src;
  SharedPorts ports;
  ProtoSet protos;
  std::uint32_t rule = 0;  // index into Policy::rules
  bool allows(const net::IpAddress& from, int proto, std::uint16_t port) const {
    return ports_protos_allow(ports.get(), protos, proto, port) && src->contains(from);
  }
};

struct SelfInfo {
  std::string id;
  std::string name;
  std::string user;
  std::vector<std::string> tags;
  std::vector<net::Prefix> addresses;
  DeviceStatus status = DeviceStatus::kPending;
  friend bool operator==(const SelfInfo&, const SelfInfo&) = default;
};

// A device's own record, shared by the versions of its netmap (a change to its peers or
// filter copies a pointer, not the strings).
using SharedSelf = Shared<SelfInfo>;

struct Netmap {
  SharedSelf self;
  std::uint16_t persistent_keepalive = 0;  // seconds; 0 = off
  PeerList peers;                          // sorted by info->id
  std::vector<FilterRule> filters;         // sorted by rule index
  std::uint64_t hash = 0;                  // digest of everything above
  // Parts of the digest (peers_hash is a sum of per-peer digests so a netmap that differs
  // in a few peers can be re-hashed without walking all of them).
  std::uint64_t peers_hash = 0;
  std::uint64_t filters_hash = 0;
  std::uint64_t self_hash = 0;  // of self and persistent_keepalive

  const PeerEntry* find_peer(std::string_view id) const;
  // The first filter rule allowing the packet, or nullptr (deny).
  const FilterRule* match(const net::IpAddress& from, int proto, std::uint16_t port) const;
};

std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed = 0xcbf29ce484222325ULL);
std::uint64_t hash_mix(std::uint64_t h, std::uint64_t v);
void finish_peer_info(PeerInfo& info);      // computes info.hash
void finish_source_list(SourceList& list);  // computes list.hash
void finish_netmap(Netmap& netmap);         // computes netmap.hash and its parts
// Digest of one peer entry (its contribution to Netmap::peers_hash).
std::uint64_t peer_entry_hash(const PeerEntry& entry);
std::uint64_t filters_hash(const std::vector<FilterRule>& filters);
// Recombines netmap.hash from self, peers_hash and filters_hash.
void combine_netmap_hash(Netmap& netmap);
// The same, trusting netmap.self_hash (for a netmap whose self is copied from one whose
// self_hash is known): skips re-hashing self.
void recombine_netmap_hash(Netmap& netmap);
bool same_filters(const std::vector<FilterRule>& a, const std::vector<FilterRule>& b);

bool same_content(const Netmap& a, const Netmap& b);

// What changed between two netmaps of the same device, for stream deltas.
struct NetmapDelta {
  bool self_changed = false;
  std::vector<const PeerEntry*> added;    // point into `after`
  std::vector<const PeerEntry*> changed;  // point into `after`
  std::vector<std::string> removed;       // peer ids
  bool filters_changed = false;
  bool keepalive_changed = false;
  bool empty() const {
    return !self_changed && added.empty() && changed.empty() && removed.empty() &&
           !filters_changed && !keepalive_changed;
  }
};
// Pointers in the result stay valid while `after` lives.
NetmapDelta diff(const Netmap& before, const Netmap& after);

// JSON rendering for wardctl and the stream. With policy non-null, every peer and filter
// rule carries "why": the rule reference, direction and required postures (--explain).
nlohmann::json to_json(const Netmap& netmap, const Policy* explain = nullptr);
nlohmann::json to_json(const NetmapDelta& delta, const Netmap& after,
                       const Policy* explain = nullptr);
// "acls[2] (srcPosture: posture:latestMac)".
std::string explain_rule(const Policy& policy, std::uint32_t rule);

}  // namespace ward::policy
