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

std::size_t Compiler::entries_with(const CRule& cr, std::uint32_t d) const {
  std::size_t in = 0;
  for (std::size_t e = 0; e < cr.entry.size(); ++e) {
    if (cr.rule->dst[e].alias.kind != AliasKind::kSelf && has(cr.entry[e], d)) ++in;
  }
  return in;
}

std::vector<std::pair<ProtoSet, PortSet>> Compiler::partial_groups(const CRule& cr,
                                                                   std::uint32_t d) const {
  std::vector<std::pair<ProtoSet, PortSet>> groups;
  for (std::size_t e = 0; e < cr.entry.size(); ++e) {
    const DstEntry& de = cr.rule->dst[e];
    if (de.alias.kind != AliasKind::kSelf && has(cr.entry[e], d)) {
      add_group(groups, de.protos, de.ports);
    }
  }
  for (auto& [protos, ports] : groups)
    ports = normalize_ports(std::move(ports));
  return groups;
}

const SlotSet& Compiler::user_devices(std::uint32_t d) const {
  const Slot& x = slots_[d];
  return x.user_set ? *x.user_set : user_slots_.at(x.dev.user);
}

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
    if (!cr.src.empty() && has(x.dst_rules, r)) {
      if (entries_with(cr, d) == cr.nonself_entries) {
        for (const auto& [protos, ports] : cr.all_groups)
          out.push_back({cr.src_list, ports, protos, r});
      } else {
        for (auto& [protos, ports] : partial_groups(cr, d))
          out.push_back({cr.src_list, std::move(ports), protos, r});
      }
    }
    if (self_ok && cr.has_self) {
      auto list = std::make_shared<SourceList>();
      for (std::uint32_t s : user_devices(d)) {
        if (self_eligible(s) && has(cr.src, s)) {
          for (const net::Prefix& p : slots_[s].info->allowed_ips)
            list->prefixes.push_back(p);
        }
      }
      if (list->prefixes.empty()) continue;
      std::sort(list->prefixes.begin(), list->prefixes.end());
      finish_source_list(*list);
      std::shared_ptr<const SourceList> shared = std::move(list);
      for (const auto& [protos, ports] : cr.self_groups)
        out.push_back({shared, ports, protos, r});
    }
  }
  return out;
}

std::shared_ptr<const Netmap> Compiler::build_netmap(std::uint32_t d) const {
  auto m = std::make_shared<Netmap>();
  const Slot& x = slots_[d];
  m->self = SelfInfo{x.dev.id,   x.dev.name,        x.dev.tagged() ? std::string() : x.dev.user,
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
    const SlotSet& mine = user_devices(d);
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
  std::vector<PeerEntry> peers;
  std::uint32_t last_rank = UINT32_MAX;
  for (std::uint64_t k : keys) {
    auto rank = static_cast<std::uint32_t>(k >> 32);
    if (rank != last_rank) {
      peers.push_back({slots_[rank_to_slot_[rank]].info, {}});
      last_rank = rank;
    }
    peers.back().why.push_back(
        {static_cast<std::uint32_t>((k & 0xffffffffULL) >> 1), static_cast<Direction>(k & 1)});
  }
  m->peers = PeerList(std::move(peers));
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
  std::vector<FilterRule> filters;
  bool filters_changed = false;
  switch (patch_filters(d, old, filters)) {
    case FilterPatch::kUnchanged:  // filters stays empty: old.filters are used
      break;
    case FilterPatch::kChanged:
      filters_changed = true;
      break;
    case FilterPatch::kUnknown:
      filters = build_filters(d);
      filters_changed = !same_filters(old.filters, filters);
      break;
  }
  if (touched.size() == 1) {
    return patch_netmap_one(d, touched[0], std::move(filters), filters_changed);
  }
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
  if (!peers_changed && !filters_changed) return nullptr;

  auto m = std::make_shared<Netmap>();
  m->self = old.self;
  m->persistent_keepalive = old.persistent_keepalive;
  m->self_hash = old.self_hash;
  if (peers_changed) {
    std::sort(fresh.begin(), fresh.end(),
              [](const PeerEntry& a, const PeerEntry& b) { return a.info->id < b.info->id; });
    std::uint64_t sum = old.peers_hash;
    for (const PeerEntry* p : stale)
      sum -= peer_entry_hash(*p);
    for (const PeerEntry& p : fresh)
      sum += peer_entry_hash(p);
    std::vector<PeerEntry> peers;
    peers.reserve(old.peers.size() + fresh.size());
    auto f = fresh.begin();
    for (const PeerEntry& p : old.peers) {
      if (has(touched, p.info->slot)) continue;
      while (f != fresh.end() && f->info->id < p.info->id)
        peers.push_back(std::move(*f++));
      peers.push_back(p);
    }
    while (f != fresh.end())
      peers.push_back(std::move(*f++));
    m->peers = PeerList(std::move(peers));
    m->peers_hash = sum;
  } else {
    m->peers = old.peers;
    m->peers_hash = old.peers_hash;
  }
  if (filters_changed) {
    m->filters = std::move(filters);
    m->filters_hash = filters_hash(m->filters);
  } else {
    m->filters = old.filters;
    m->filters_hash = old.filters_hash;
  }
  recombine_netmap_hash(*m);
  return m;
}

Compiler::FilterPatch Compiler::patch_filters(std::uint32_t d, const Netmap& old,
                                              std::vector<FilterRule>& out) const {
  const Slot& x = slots_[d];
  // A touched device of d's user may change d's autogroup:self sources (also when no
  // rule's sources change: it may become, or stop being, a user device).
  if (self_eligible(d) && !self_rules_.empty() &&
      std::find(touched_users_.begin(), touched_users_.end(), x.dev.user) != touched_users_.end()) {
    return FilterPatch::kUnknown;
  }
  if (dirty_.empty()) return FilterPatch::kUnchanged;
  // A rule that had no sources had no filter here; one that gained sources may now.
  for (std::uint32_t r : gained_rules_) {
    if (has(x.dst_rules, r)) return FilterPatch::kUnknown;
  }
  bool changed = false;
  const std::vector<FilterRule>& f = old.filters;
  out.clear();
  out.reserve(f.size());
  for (std::size_t i = 0; i < f.size();) {
    const std::uint32_t r = f[i].rule;
    std::size_t j = i + 1;
    while (j < f.size() && f[j].rule == r)
      ++j;
    const std::uint32_t di = r < dirty_index_.size() ? dirty_index_[r] : 0;
    if (di == 0) {
      out.insert(out.end(), f.begin() + static_cast<std::ptrdiff_t>(i),
                 f.begin() + static_cast<std::ptrdiff_t>(j));
      i = j;
      continue;
    }
    // build_filters wrote this rule's non-self filters (one per protocol group of the
    // entries listing d, which did not change) before its autogroup:self ones.
    const DirtyRule& dr = dirty_[di - 1];
    const CRule& cr = rules_[r];
    std::size_t k = 0;
    if (!dr.was_empty && has(x.dst_rules, r)) {
      k = entries_with(cr, d) == cr.nonself_entries ? cr.all_groups.size()
                                                    : partial_groups(cr, d).size();
    }
    if (k > j - i || (!cr.has_self && k != j - i)) return FilterPatch::kUnknown;
    for (std::size_t n = i; n < i + k; ++n) {
      if (cr.src.empty()) {
        changed = true;  // the rule lost its last source
        continue;
      }
      out.push_back(f[n]);
      out.back().src = cr.src_list;
      changed = changed || dr.content_changed;
    }
    out.insert(out.end(), f.begin() + static_cast<std::ptrdiff_t>(i + k),
               f.begin() + static_cast<std::ptrdiff_t>(j));
    i = j;
  }
  return changed ? FilterPatch::kChanged : FilterPatch::kUnchanged;
}

std::shared_ptr<const Netmap> Compiler::patch_netmap_one(std::uint32_t d, std::uint32_t t,
                                                         std::vector<FilterRule> filters,
                                                         bool filters_changed) const {
  const Netmap& old = *slots_[d].netmap;
  const std::string& tid = slots_[t].dev.id;
  const PeerEntry* here = nullptr;
  const std::size_t at = old.peers.lower_bound(tid, &here);
  const bool present = here && here->info->id == tid;
  // An entry with t's id but another slot would be a device replaced without this map
  // being told; never patch around it.
  if (present && here->info->slot != t) return build_netmap(d);
  ProvenanceList w = why(d, t);
  const std::shared_ptr<const PeerInfo>& info = slots_[t].info;
  bool peers_changed = w.empty() ? present
                                 : !present || !(here->why == w) ||
                                       (here->info != info && !here->info->same_content(*info));
  if (!peers_changed && !filters_changed) return nullptr;

  auto m = std::make_shared<Netmap>();
  m->self = old.self;
  m->persistent_keepalive = old.persistent_keepalive;
  m->self_hash = old.self_hash;
  if (peers_changed) {
    std::uint64_t sum = old.peers_hash;
    if (present) sum -= peer_entry_hash(*here);
    if (!w.empty()) {
      PeerEntry entry{info, std::move(w)};
      sum += peer_entry_hash(entry);
      m->peers = old.peers.spliced(at, present ? 1 : 0, &entry);
    } else {
      m->peers = old.peers.spliced(at, 1, nullptr);
    }
    m->peers_hash = sum;
  } else {
    m->peers = old.peers;
    m->peers_hash = old.peers_hash;
  }
  if (filters_changed) {
    m->filters = std::move(filters);
    m->filters_hash = filters_hash(m->filters);
  } else {
    m->filters = old.filters;  // equal content; keeps the old lists shared
    m->filters_hash = old.filters_hash;
  }
  recombine_netmap_hash(*m);
  return m;
}

}  // namespace ward::policy
