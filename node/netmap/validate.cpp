#include "node/netmap/validate.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace ward::node {
namespace {

Error at(const std::string& path, std::string msg) {
  return Error::invalid_argument("netmap rejected: " + path + ": " + std::move(msg));
}

std::string idx(const char* base, std::size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

Status in_overlay(const Overlay& o, const net::Prefix& p, const std::string& path) {
  const net::Prefix& ov = p.address().is_v4() ? o.v4 : o.v6;
  if (!ov.contains(p))
    return at(path, quote(p.to_string()) + " is outside the overlay " + ov.to_string());
  return ok();
}

bool port_protocol(std::uint8_t p) {
  return p == 6 || p == 17 || p == 33 || p == 132;
}

// Owner of an allowed-IP entry for the overlap scan: a peer index, or kSelf.
constexpr std::size_t kSelf = static_cast<std::size_t>(-1);

struct Owned {
  net::Prefix prefix;
  std::size_t owner;
  std::size_t index;  // position within the owner's list (for the error path)
};

std::string owner_path(const Owned& e) {
  if (e.owner == kSelf) return idx("$.self.addresses", e.index);
  return idx("$.peers", e.owner) + idx(".allowed_ips", e.index);
}

}  // namespace

Status validate_netmap(const Netmap& map, const WgKey& own_key, const ValidateLimits& lim) {
  if (!map.overlay.v4.address().is_v4()) return at("$.overlay.v4", "expected an IPv4 prefix");
  if (!map.overlay.v6.address().is_v6()) return at("$.overlay.v6", "expected an IPv6 prefix");
  if (map.peers.size() > lim.max_peers)
    return at("$.peers", "too many peers: " + std::to_string(map.peers.size()) + " (at most " +
                             std::to_string(lim.max_peers) + ")");

  std::vector<Owned> owned;
  for (std::size_t i = 0; i < map.self.addresses.size(); ++i) {
    const auto net =
        net::Prefix::make(map.self.addresses[i].address, map.self.addresses[i].address.bit_width());
    if (!net) return at(idx("$.self.addresses", i), net.error().message());
    WARD_RETURN_IF_ERROR(in_overlay(map.overlay, *net, idx("$.self.addresses", i)));
    owned.push_back({*net, kSelf, i});
  }

  std::unordered_set<std::string> ids;
  std::unordered_set<WgKey> keys;
  std::size_t total_ips = 0;
  for (std::size_t i = 0; i < map.peers.size(); ++i) {
    const Peer& p = map.peers[i];
    const std::string path = idx("$.peers", i);
    if (p.id.empty()) return at(path + ".id", "peer id is empty");
    if (!ids.insert(p.id).second) return at(path + ".id", "duplicate peer id " + quote(p.id));
    if (p.public_key.is_zero()) return at(path + ".public_key", "all-zero public key");
    if (p.public_key == own_key)
      return at(path + ".public_key", "peer has this node's own public key");
    if (!keys.insert(p.public_key).second)
      return at(path + ".public_key", "duplicate public key " + quote(p.public_key.to_base64()));
    total_ips += p.allowed_ips.size();
    if (total_ips > lim.max_total_allowed_ips)
      return at(path + ".allowed_ips", "too many allowed IPs in total (at most " +
                                           std::to_string(lim.max_total_allowed_ips) + ")");
    for (std::size_t k = 0; k < p.allowed_ips.size(); ++k) {
      WARD_RETURN_IF_ERROR(
          in_overlay(map.overlay, p.allowed_ips[k], path + idx(".allowed_ips", k)));
      owned.push_back({p.allowed_ips[k], i, k});
    }
    for (std::size_t k = 0; k < p.endpoints.size(); ++k) {
      const Endpoint& e = p.endpoints[k];
      if (e.port == 0) return at(path + idx(".endpoints", k), "port 0");
      const auto b = e.ip.bytes();
      if (std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; }))
        return at(path + idx(".endpoints", k), "unspecified address " + quote(e.to_string()));
    }
  }

  // Overlap scan: after sorting by (family, address, bits) an entry overlaps an earlier one
  // iff it starts inside the widest earlier range of its family (prefixes nest or are
  // disjoint). Entries of one owner may nest; entries of different owners may not.
  std::sort(owned.begin(), owned.end(),
            [](const Owned& a, const Owned& b) { return a.prefix < b.prefix; });
  const Owned* cover = nullptr;
  for (const Owned& e : owned) {
    if (cover && cover->prefix.family() == e.prefix.family() && cover->prefix.overlaps(e.prefix)) {
      if (cover->owner != e.owner)
        return at(owner_path(e), quote(e.prefix.to_string()) + " overlaps " +
                                     quote(cover->prefix.to_string()) + " at " +
                                     owner_path(*cover));
      if (cover->prefix.contains(e.prefix)) continue;
    }
    cover = &e;
  }

  if (map.filter.inbound.size() > lim.max_filter_rules)
    return at("$.filter.inbound",
              "too many rules (at most " + std::to_string(lim.max_filter_rules) + ")");
  std::size_t total_src = 0;
  for (std::size_t i = 0; i < map.filter.inbound.size(); ++i) {
    const FilterRule& r = map.filter.inbound[i];
    const std::string path = idx("$.filter.inbound", i);
    if (r.src.empty()) return at(path + ".src", "empty source list");
    total_src += r.src.size();
    if (total_src > lim.max_total_src)
      return at(path + ".src", "too many source prefixes in total (at most " +
                                   std::to_string(lim.max_total_src) + ")");
    for (std::size_t k = 0; k < r.src.size(); ++k)
      WARD_RETURN_IF_ERROR(in_overlay(map.overlay, r.src[k], path + idx(".src", k)));
    if (!r.ports.empty()) {
      if (r.proto.empty()) return at(path + ".ports", "ports given without a protocol");
      for (std::size_t k = 0; k < r.proto.size(); ++k) {
        if (!port_protocol(r.proto[k]))
          return at(path + idx(".proto", k), "protocol " + std::to_string(r.proto[k]) +
                                                 " has no ports but the rule lists ports");
      }
    }
    for (std::size_t k = 0; k < r.ports.size(); ++k) {
      if (r.ports[k].first < 1 || r.ports[k].first > r.ports[k].last)
        return at(path + idx(".ports", k), "expected 1 <= first <= last");
    }
  }
  return ok();
}

Result<Netmap> apply_delta(const Netmap& base, const Delta& delta, const WgKey& own_key,
                           const ValidateLimits& lim) {
  if (delta.base_serial != base.serial)
    return Error::invalid_argument("delta base_serial " + std::to_string(delta.base_serial) +
                                   " does not match the current netmap serial " +
                                   std::to_string(base.serial));
  if (delta.serial <= base.serial)
    return Error::invalid_argument("delta serial " + std::to_string(delta.serial) +
                                   " does not increase from " + std::to_string(base.serial));
  Netmap out = base;
  out.serial = delta.serial;
  if (!delta.peers_remove.empty()) {
    std::unordered_set<WgKey> remove;
    for (const auto& k : delta.peers_remove)
      remove.insert(k);
    std::size_t removed = 0;
    std::erase_if(out.peers, [&](const Peer& p) {
      const bool r = remove.count(p.public_key) != 0;
      removed += r ? 1 : 0;
      return r;
    });
    if (removed != remove.size())
      return Error::invalid_argument(
          "delta removes a peer that is not in the netmap (maps disagree; resync)");
  }
  if (!delta.peers_upsert.empty()) {
    std::unordered_map<WgKey, std::size_t> pos;
    for (std::size_t i = 0; i < out.peers.size(); ++i)
      pos.emplace(out.peers[i].public_key, i);
    for (const Peer& p : delta.peers_upsert) {
      auto it = pos.find(p.public_key);
      if (it != pos.end()) {
        out.peers[it->second] = p;
      } else {
        pos.emplace(p.public_key, out.peers.size());
        out.peers.push_back(p);
      }
    }
  }
  if (delta.filter) out.filter = *delta.filter;
  if (delta.self) out.self = *delta.self;
  WARD_RETURN_IF_ERROR(validate_netmap(out, own_key, lim));
  return out;
}

}  // namespace ward::node
