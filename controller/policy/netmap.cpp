#include "controller/policy/netmap.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "controller/policy/syntax.hpp"

namespace ward::policy {

void ProvenanceList::copy_heap(const ProvenanceList& other) {
  u_.heap = {new Provenance[size_], size_};
  std::copy(other.u_.heap.data, other.u_.heap.data + size_, u_.heap.data);
}

ProvenanceList& ProvenanceList::operator=(const ProvenanceList& other) {
  if (this != &other) *this = ProvenanceList(other);
  return *this;
}

ProvenanceList& ProvenanceList::operator=(ProvenanceList&& other) noexcept {
  if (this != &other) {
    if (size_ > kInline) delete[] u_.heap.data;
    u_ = other.u_;
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void ProvenanceList::push_back(Provenance p) {
  if (size_ < kInline) {
    u_.inline_[size_++] = p;
    return;
  }
  if (size_ == kInline) {
    Provenance first[kInline] = {u_.inline_[0], u_.inline_[1]};
    u_.heap = {new Provenance[2 * kInline], 2 * kInline};
    std::copy(first, first + kInline, u_.heap.data);
  } else if (size_ == u_.heap.capacity) {
    auto* bigger = new Provenance[2 * std::size_t{size_}];
    std::copy(u_.heap.data, u_.heap.data + size_, bigger);
    delete[] u_.heap.data;
    u_.heap = {bigger, 2 * size_};
  }
  u_.heap.data[size_++] = p;
}

bool operator==(const ProvenanceList& a, const ProvenanceList& b) {
  if (a.size_ != b.size_) return false;
  for (std::size_t i = 0; i < a.size_; ++i) {
    if (!(a[i] == b[i])) return false;
  }
  return true;
}

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
  std::uint64_t h = hash_bytes(m.self.id);
  h = hash_mix(h, hash_bytes(m.self.name));
  h = hash_mix(h, hash_bytes(m.self.user));
  h = hash_strings(h, m.self.tags);
  for (const net::Prefix& p : m.self.addresses)
    h = hash_prefix(h, p);
  h = hash_mix(h, static_cast<std::uint64_t>(m.self.status));
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

bool same_content(const Netmap& a, const Netmap& b) {
  if (a.hash != b.hash || !(a.self == b.self) || a.persistent_keepalive != b.persistent_keepalive ||
      a.peers.size() != b.peers.size() || a.filters.size() != b.filters.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    const PeerEntry& x = a.peers[i];
    const PeerEntry& y = b.peers[i];
    if (!(x.why == y.why)) return false;
    if (x.info != y.info && !x.info->same_content(*y.info)) return false;
  }
  return same_filters(a.filters, b.filters);
}

const PeerEntry* Netmap::find_peer(std::string_view id) const {
  auto it = std::lower_bound(peers.begin(), peers.end(), id,
                             [](const PeerEntry& e, std::string_view k) { return e.info->id < k; });
  return it != peers.end() && it->info->id == id ? &*it : nullptr;
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
  std::size_t i = 0, j = 0;
  while (i < before.peers.size() || j < after.peers.size()) {
    if (j == after.peers.size() ||
        (i < before.peers.size() && before.peers[i].info->id < after.peers[j].info->id)) {
      d.removed.push_back(before.peers[i].info->id);
      ++i;
    } else if (i == before.peers.size() || after.peers[j].info->id < before.peers[i].info->id) {
      d.added.push_back(&after.peers[j]);
      ++j;
    } else {
      const PeerEntry& x = before.peers[i];
      const PeerEntry& y = after.peers[j];
      if (!(x.why == y.why) || (x.info != y.info && !x.info->same_content(*y.info))) {
        d.changed.push_back(&y);
      }
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
  j["self"] = {{"id", m.self.id},
               {"name", m.self.name},
               {"user", m.self.user},
               {"tags", m.self.tags},
               {"addresses", prefixes_json(m.self.addresses)},
               {"status", device_status_name(m.self.status)}};
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
