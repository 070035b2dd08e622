#include "controller/policy/netmap.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "controller/policy/syntax.hpp"

namespace ward::policy {

std::uint64_t hash_bytes(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return hash_mix(h, s.size());
}

std::uint64_t hash_mix(std::uint64_t h, std::uint64_t v) {
  // splitmix64 finaliser over the combination: order-dependent and well distributed.
  std::uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

std::uint64_t hash_prefix(std::uint64_t h, const net::Prefix& p) {
  std::uint64_t words[2] = {0, 0};
  auto bytes = p.address().bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i)
    words[i / 8] |= std::uint64_t{bytes[i]} << (8 * (i % 8));
  h = hash_mix(h, words[0]);
  if (bytes.size() > 8) h = hash_mix(h, words[1]);
  return hash_mix(
      h, static_cast<std::uint64_t>(p.bits()) + (p.family() == net::Family::kV6 ? 1000 : 0));
}

std::uint64_t hash_strings(std::uint64_t h, const std::vector<std::string>& v) {
  h = hash_mix(h, v.size());
  for (const std::string& s : v)
    h = hash_mix(h, hash_bytes(s));
  return h;
}

bool same_filter(const FilterRule& a, const FilterRule& b) {
  return a.rule == b.rule && a.ports == b.ports && a.protos == b.protos &&
         (a.src == b.src || a.src->prefixes == b.src->prefixes);
}

}  // namespace

bool SourceList::contains(const net::IpAddress& a) const {
  auto host = net::Prefix::make(a, a.bit_width());
  return host && std::binary_search(prefixes.begin(), prefixes.end(), *host);
}

bool PeerInfo::same_content(const PeerInfo& o) const {
  return id == o.id && name == o.name && user == o.user && tags == o.tags &&
         public_key == o.public_key && allowed_ips == o.allowed_ips && endpoints == o.endpoints;
}

void finish_peer_info(PeerInfo& info) {
  std::uint64_t h = hash_bytes(info.id);
  h = hash_mix(h, hash_bytes(info.name));
  h = hash_mix(h, hash_bytes(info.user));
  h = hash_strings(h, info.tags);
  h = hash_mix(h, hash_bytes(info.public_key));
  h = hash_mix(h, info.allowed_ips.size());
  for (const net::Prefix& p : info.allowed_ips)
    h = hash_prefix(h, p);
  h = hash_strings(h, info.endpoints);
  info.hash = h;
}

void finish_source_list(SourceList& list) {
  std::uint64_t h = hash_mix(0x5eed, list.prefixes.size());
  for (const net::Prefix& p : list.prefixes)
    h = hash_prefix(h, p);
  list.hash = h;
}

std::uint64_t peer_entry_hash(const PeerEntry& p) {
  std::uint64_t h = hash_mix(0x9ee7, p.info->hash);
  for (std::size_t i = 0; i < p.why.size(); ++i) {
    h = hash_mix(
        h, (std::uint64_t{p.why[i].rule} << 1) | static_cast<std::uint64_t>(p.why[i].direction));
  }
  return h;
}

std::uint64_t filters_hash(const std::vector<FilterRule>& filters) {
  std::uint64_t h = hash_mix(0xf117, filters.size());
  for (const FilterRule& f : filters) {
    h = hash_mix(h, f.src->hash);
    h = hash_mix(h, f.rule);
    for (const PortRange& r : f.ports)
      h = hash_mix(h, (std::uint64_t{r.first} << 16) | r.last);
    // The set's four 64-bit words, low first (word-level shifts, not 256 bit tests).
    static const ProtoSet kLowWord(~std::uint64_t{0});
    for (std::size_t w = 0; w < 256; w += 64)
      h = hash_mix(h, ((f.protos >> w) & kLowWord).to_ullong());
  }
  return h;
}

void combine_netmap_hash(Netmap& m) {
  std::uint64_t h = hash_bytes(m.self->id);
  h = hash_mix(h, hash_bytes(m.self->name));
  h = hash_mix(h, hash_bytes(m.self->user));
  h = hash_strings(h, m.self->tags);
  for (const net::Prefix& p : m.self->addresses)
    h = hash_prefix(h, p);
  h = hash_mix(h, static_cast<std::uint64_t>(m.self->status));
  m.self_hash = hash_mix(h, m.persistent_keepalive);
  recombine_netmap_hash(m);
}

void recombine_netmap_hash(Netmap& m) {
  std::uint64_t h = hash_mix(m.self_hash, m.peers.size());
  h = hash_mix(h, m.peers_hash);
  m.hash = hash_mix(h, m.filters_hash);
}

void finish_netmap(Netmap& m) {
  std::uint64_t sum = 0;
  for (const PeerEntry& p : m.peers)
    sum += peer_entry_hash(p);
  m.peers_hash = sum;
  m.filters_hash = filters_hash(m.filters);
  combine_netmap_hash(m);
}

bool same_filters(const std::vector<FilterRule>& a, const std::vector<FilterRule>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_filter(a[i], b[i])) return false;
  }
  return true;
}

namespace {

bool same_entry(const PeerEntry& x, const PeerEntry& y) {
  return x.why == y.why && (x.info == y.info || x.info->same_content(*y.info));
}

}  // namespace

bool same_content(const Netmap& a, const Netmap& b) {
  if (a.hash != b.hash || !(a.self == b.self) || a.persistent_keepalive != b.persistent_keepalive ||
      a.peers.size() != b.peers.size() || a.filters.size() != b.filters.size()) {
    return false;
  }
  if (!a.peers.same_object(b.peers)) {
    for (auto x = a.peers.begin(), y = b.peers.begin(); x != a.peers.end();) {
      if (x.at_chunk_start() && y.at_chunk_start() && x.chunk() == y.chunk()) {
        x.skip_chunk();  // a chunk both versions share
        y.skip_chunk();
        continue;
      }
      if (!same_entry(*x, *y)) return false;
      ++x;
      ++y;
    }
  }
  return same_filters(a.filters, b.filters);
}

const PeerEntry* Netmap::find_peer(std::string_view id) const {
  return peers.find(id);
}

const FilterRule* Netmap::match(const net::IpAddress& from, int proto, std::uint16_t port) const {
  for (const FilterRule& f : filters) {
    if (f.allows(from, proto, port)) return &f;
  }
  return nullptr;
}

NetmapDelta diff(const Netmap& before, const Netmap& after) {
  NetmapDelta d;
  d.self_changed = !(before.self == after.self);
  d.keepalive_changed = before.persistent_keepalive != after.persistent_keepalive;
  auto i = before.peers.begin(), j = after.peers.begin();
  const auto i_end = before.peers.end(), j_end = after.peers.end();
  while (i != i_end || j != j_end) {
    if (i != i_end && j != j_end && i.at_chunk_start() && j.at_chunk_start() &&
        i.chunk() == j.chunk()) {
      i.skip_chunk();  // shared by both versions: nothing changed in it
      j.skip_chunk();
    } else if (j == j_end || (i != i_end && i->info->id < j->info->id)) {
      d.removed.push_back(i->info->id);
      ++i;
    } else if (i == i_end || j->info->id < i->info->id) {
      d.added.push_back(&*j);
      ++j;
    } else {
      if (!same_entry(*i, *j)) d.changed.push_back(&*j);
      ++i;
      ++j;
    }
  }
  d.filters_changed = !same_filters(before.filters, after.filters);
  return d;
}

std::string explain_rule(const Policy& policy, std::uint32_t rule) {
  if (rule >= policy.rules.size()) return "rule #" + std::to_string(rule);
  const Rule& r = policy.rules[rule];
  std::string s = r.ref();
  if (!r.src_posture.empty()) {
    s += " (srcPosture: ";
    for (std::size_t i = 0; i < r.src_posture.size(); ++i) {
      s += (i ? " or " : "") + r.src_posture[i];
    }
    s += ")";
  }
  if (r.expires) s += " (expires " + format_rfc3339(*r.expires) + ")";
  return s;
}

namespace {

nlohmann::json prefixes_json(const std::vector<net::Prefix>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const net::Prefix& p : v)
    a.push_back(p.to_string());
  return a;
}

nlohmann::json peer_json(const PeerEntry& p, const Policy* explain) {
  nlohmann::json j;
  j["id"] = p.info->id;
  j["name"] = p.info->name;
  if (!p.info->user.empty()) j["user"] = p.info->user;
  if (!p.info->tags.empty()) j["tags"] = p.info->tags;
  j["public_key"] = p.info->public_key;
  j["allowed_ips"] = prefixes_json(p.info->allowed_ips);
  j["endpoints"] = p.info->endpoints;
  if (explain) {
    nlohmann::json why = nlohmann::json::array();
    for (std::size_t i = 0; i < p.why.size(); ++i) {
      why.push_back(
          {{"rule", explain_rule(*explain, p.why[i].rule)},
           {"direction", p.why[i].direction == Direction::kInbound ? "inbound" : "outbound"}});
    }
    j["why"] = std::move(why);
  }
  return j;
}

nlohmann::json filter_json(const FilterRule& f, const Policy* explain) {
  nlohmann::json j;
  j["src"] = prefixes_json(f.src->prefixes);
  j["ports"] = ports_to_string(f.ports);
  j["protos"] = protos_to_string(f.protos);
  if (explain) j["why"] = explain_rule(*explain, f.rule);
  return j;
}

}  // namespace

nlohmann::json to_json(const Netmap& m, const Policy* explain) {
  nlohmann::json j;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(m.hash));
  j["hash"] = hash;
  j["self"] = {{"id", m.self->id},
               {"name", m.self->name},
               {"user", m.self->user},
               {"tags", m.self->tags},
               {"addresses", prefixes_json(m.self->addresses)},
               {"status", device_status_name(m.self->status)}};
  j["persistent_keepalive"] = m.persistent_keepalive;
  nlohmann::json peers = nlohmann::json::array();
  for (const PeerEntry& p : m.peers)
    peers.push_back(peer_json(p, explain));
  j["peers"] = std::move(peers);
  nlohmann::json filters = nlohmann::json::array();
  for (const FilterRule& f : m.filters)
    filters.push_back(filter_json(f, explain));
  j["filter"] = std::move(filters);
  return j;
}

nlohmann::json to_json(const NetmapDelta& d, const Netmap& after, const Policy* explain) {
  nlohmann::json j;
  if (d.self_changed) j["self"] = to_json(after, nullptr)["self"];
  if (d.keepalive_changed) j["persistent_keepalive"] = after.persistent_keepalive;
  nlohmann::json added = nlohmann::json::array(), changed = nlohmann::json::array();
  for (const PeerEntry* p : d.added)
    added.push_back(peer_json(*p, explain));
  for (const PeerEntry* p : d.changed)
    changed.push_back(peer_json(*p, explain));
  j["peers_added"] = std::move(added);
  j["peers_changed"] = std::move(changed);
  j["peers_removed"] = d.removed;
  if (d.filters_changed) {
    nlohmann::json filters = nlohmann::json::array();
    for (const FilterRule& f : after.filters)
      filters.push_back(filter_json(f, explain));
    j["filter"] = std::move(filters);
  }
  return j;
}

}  // namespace ward::policy
