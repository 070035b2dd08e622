// Building one device's netmap from the per-rule sets: in full, or patched.
#include <algorithm>

#include "controller/policy/compiler.hpp"
#include "controller/policy/compiler_internal.hpp"

namespace ward::policy {

using detail::add_group;
using detail::erase_sorted;
using detail::has;
using detail::insert_sorted;
using detail::SlotSet;
using detail::sort_unique;

std::vector<FilterRule> Compiler::build_filters(std::uint32_t d) const {
  std::vector<FilterRule> out;
  const Slot& x = slots_[d];
  bool self_ok = self_eligible(d);
  SlotSet rules = x.dst_rules;
  if (self_ok) {
    rules.insert(rules.end(), self_rules_.begin(), self_rules_.end());
    sort_unique(rules);
  }
  for (std::uint32_t r : rules) {
    const CRule& cr = rules_[r];
    if (!cr.live) continue;
    const Rule& rule = *cr.rule;
    if (!cr.src.empty() && has(x.dst_rules, r)) {
      std::vector<std::pair<ProtoSet, PortSet>> groups;
      for (std::size_t e = 0; e < rule.dst.size(); ++e) {
        if (rule.dst[e].alias.kind != AliasKind::kSelf && has(cr.entry[e], d)) {
          add_group(groups, rule.dst[e].protos, rule.dst[e].ports);
        }
      }
      for (auto& [protos, ports] : groups) {
        out.push_back({cr.src_list, normalize_ports(std::move(ports)), protos, r});
      }
    }
    if (self_ok && cr.has_self) {
      auto list = std::make_shared<SourceList>();
      for (std::uint32_t s : user_slots_.at(x.dev.user)) {
        if (self_eligible(s) && has(cr.src, s)) {
          for (const net::Prefix& p : slots_[s].info->allowed_ips)
            list->prefixes.push_back(p);
        }
      }
      if (list->prefixes.empty()) continue;
      std::sort(list->prefixes.begin(), list->prefixes.end());
      finish_source_list(*list);
      std::vector<std::pair<ProtoSet, PortSet>> groups;
      for (const DstEntry& e : rule.dst) {
        if (e.alias.kind == AliasKind::kSelf) add_group(groups, e.protos, e.ports);
      }
      std::shared_ptr<const SourceList> shared = std::move(list);
      for (auto& [protos, ports] : groups) {
        out.push_back({shared, normalize_ports(std::move(ports)), protos, r});
      }
    }
  }
  return out;
}

std::shared_ptr<const Netmap> Compiler::build_netmap(std::uint32_t d) const {
  auto m = std::make_shared<Netmap>();
  const Slot& x = slots_[d];
  m->self = {x.dev.id,   x.dev.name,        x.dev.tagged() ? std::string() : x.dev.user,
             x.dev.tags, x.dev.addresses(), x.dev.status};
  m->persistent_keepalive = options_.persistent_keepalive;
  if (!x.eligible) {
    finish_netmap(*m);
    return m;
  }
  std::vector<std::uint64_t> keys;
  auto push = [&](std::uint32_t t, std::uint32_t r, Direction dir) {
    if (t == d) return;
    keys.push_back((std::uint64_t{rank_[t]} << 32) | (std::uint64_t{r} << 1) |
                   static_cast<std::uint64_t>(dir));
  };
  for (std::uint32_t r : x.dst_rules) {
    for (std::uint32_t s : rules_[r].src)
      push(s, r, Direction::kInbound);
  }
  for (std::uint32_t r : x.src_rules) {
    for (std::uint32_t t : rules_[r].dst_union)
      push(t, r, Direction::kOutbound);
  }
  if (self_eligible(d)) {
    const SlotSet& mine = user_slots_.at(x.dev.user);
    for (std::uint32_t r : self_rules_) {
      const CRule& cr = rules_[r];
      if (!cr.live) continue;
      bool d_in_src = has(cr.src, d);
      for (std::uint32_t t : mine) {
        if (t == d || !self_eligible(t)) continue;
        if (has(cr.src, t)) push(t, r, Direction::kInbound);
        if (d_in_src) push(t, r, Direction::kOutbound);
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::uint32_t last_rank = UINT32_MAX;
  for (std::uint64_t k : keys) {
    auto rank = static_cast<std::uint32_t>(k >> 32);
    if (rank != last_rank) {
      m->peers.push_back({slots_[rank_to_slot_[rank]].info, {}});
      last_rank = rank;
    }
    m->peers.back().why.push_back(
        {static_cast<std::uint32_t>((k & 0xffffffffULL) >> 1), static_cast<Direction>(k & 1)});
  }
  m->filters = build_filters(d);
  finish_netmap(*m);
  return m;
}

ProvenanceList Compiler::why(std::uint32_t d, std::uint32_t t) const {
  ProvenanceList out;
  if (d == t || !slots_[d].eligible || !slots_[t].eligible) return out;
  std::vector<Provenance> v;
  for (std::uint32_t r : slots_[d].dst_rules) {
    if (has(rules_[r].src, t)) v.push_back({r, Direction::kInbound});
  }
  for (std::uint32_t r : slots_[d].src_rules) {
    if (has(rules_[r].dst_union, t)) v.push_back({r, Direction::kOutbound});
  }
  if (self_eligible(d) && self_eligible(t) && slots_[d].dev.user == slots_[t].dev.user) {
    for (std::uint32_t r : self_rules_) {
      const CRule& cr = rules_[r];
      if (!cr.live) continue;
      if (has(cr.src, t)) v.push_back({r, Direction::kInbound});
      if (has(cr.src, d)) v.push_back({r, Direction::kOutbound});
    }
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  for (const Provenance& p : v)
    out.push_back(p);
  return out;
}

std::shared_ptr<const Netmap> Compiler::patch_netmap(std::uint32_t d,
                                                     const SlotSet& touched) const {
  const Slot& x = slots_[d];
  if (!x.eligible || !x.netmap) return build_netmap(d);
  const Netmap& old = *x.netmap;
  // Only the entries of touched devices and the filters can differ (see propagate()).
  std::vector<PeerEntry> fresh;
  std::vector<const PeerEntry*> stale;
  bool peers_changed = false;
  for (std::uint32_t t : touched) {
    const PeerEntry* before = old.find_peer(slots_[t].dev.id);
    if (before && before->info->slot != t) before = nullptr;
    ProvenanceList w = why(d, t);
    if (!w.empty()) {
      const auto& info = slots_[t].info;
      if (!before || !(before->why == w) ||
          (before->info != info && !before->info->same_content(*info))) {
        peers_changed = true;
      }
      fresh.push_back({info, std::move(w)});
    } else if (before) {
      peers_changed = true;
    }
    if (before) stale.push_back(before);
  }
  std::vector<FilterRule> filters = build_filters(d);
  bool filters_changed = !same_filters(old.filters, filters);
  if (!peers_changed && !filters_changed) return nullptr;

  auto m = std::make_shared<Netmap>();
  m->self = old.self;
  m->persistent_keepalive = old.persistent_keepalive;
  if (peers_changed) {
    std::sort(fresh.begin(), fresh.end(),
              [](const PeerEntry& a, const PeerEntry& b) { return a.info->id < b.info->id; });
    std::uint64_t sum = old.peers_hash;
    for (const PeerEntry* p : stale)
      sum -= peer_entry_hash(*p);
    for (const PeerEntry& p : fresh)
      sum += peer_entry_hash(p);
    m->peers.reserve(old.peers.size() + fresh.size());
    auto f = fresh.begin();
    const bool single = touched.size() == 1;
    for (const PeerEntry& p : old.peers) {
      if (single ? p.info->slot == touched[0] : has(touched, p.info->slot)) continue;
      while (f != fresh.end() && f->info->id < p.info->id)
        m->peers.push_back(std::move(*f++));
      m->peers.push_back(p);
    }
    while (f != fresh.end())
      m->peers.push_back(std::move(*f++));
    m->peers_hash = sum;
  } else {
    m->peers = old.peers;
    m->peers_hash = old.peers_hash;
  }
  m->filters = std::move(filters);
  m->filters_hash = filters_hash(m->filters);
  combine_netmap_hash(*m);
  return m;
}

}  // namespace ward::policy
