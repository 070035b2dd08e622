// Incremental updates: a change touches some slots; only their peers are recomputed.
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

SlotSet Compiler::peer_slots(const Netmap& m) const {
  SlotSet out;
  out.reserve(m.peers.size());
  for (const PeerEntry& p : m.peers)
    out.push_back(p.info->slot);
  return out;
}

void Compiler::refresh_memberships(std::uint32_t s, const std::vector<net::Prefix>& old_addrs) {
  Slot& x = slots_[s];
  bool addrs_changed = old_addrs != x.dev.addresses();
  SlotSet src_rules, dst_rules;
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    CRule& cr = rules_[i];
    if (!cr.live) continue;
    const Rule& rule = *cr.rule;
    bool in_src = false;
    if (x.eligible && passes(cr, s)) {
      for (const Alias& a : rule.src) {
        if (alias_matches(a, s)) {
          in_src = true;
          break;
        }
      }
    }
    bool was = has(cr.src, s);
    if (in_src != was) {
      if (in_src)
        insert_sorted(cr.src, s);
      else
        erase_sorted(cr.src, s);
    }
    if (in_src != was || (in_src && addrs_changed)) {
      patch_src_list(cr, was ? old_addrs : std::vector<net::Prefix>{},
                     in_src ? x.info->allowed_ips : std::vector<net::Prefix>{});
    }
    if (in_src) src_rules.push_back(i);
    bool any = false;
    for (std::size_t e = 0; e < rule.dst.size(); ++e) {
      if (rule.dst[e].alias.kind == AliasKind::kSelf) continue;
      bool in = x.eligible && alias_matches(rule.dst[e].alias, s);
      if (in != has(cr.entry[e], s)) {
        if (in)
          insert_sorted(cr.entry[e], s);
        else
          erase_sorted(cr.entry[e], s);
      }
      any = any || in;
    }
    if (any != has(cr.dst_union, s)) {
      if (any)
        insert_sorted(cr.dst_union, s);
      else
        erase_sorted(cr.dst_union, s);
    }
    if (any) dst_rules.push_back(i);
  }
  x.src_rules = std::move(src_rules);
  x.dst_rules = std::move(dst_rules);
}

std::vector<std::string> Compiler::propagate(const SlotSet& touched, SlotSet affected,
                                             std::vector<std::string> changed) {
  for (std::uint32_t t : touched) {
    Slot& x = slots_[t];
    if (!x.alive) continue;
    auto m = build_netmap(t);
    SlotSet now_peers = peer_slots(*m);
    affected.insert(affected.end(), now_peers.begin(), now_peers.end());
    if (!x.netmap || !same_content(*x.netmap, *m)) {
      x.netmap = std::move(m);
      changed.push_back(x.dev.id);
    }
  }
  sort_unique(affected);
  for (std::uint32_t d : affected) {
    Slot& x = slots_[d];
    if (!x.alive || has(touched, d)) continue;
    if (auto m = patch_netmap(d, touched)) {
      x.netmap = std::move(m);
      changed.push_back(x.dev.id);
    }
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

Result<std::vector<std::string>> Compiler::upsert_device(Device dev) {
  WARD_RETURN_IF_ERROR(validate_device(dev));
  if (!dev.user.empty() && !users_.contains(dev.user)) {
    return Error::invalid_argument("device " + dev.id + " belongs to unknown user " +
                                   quote(dev.user));
  }
  auto existing = by_id_.find(dev.id);
  std::uint32_t s =
      existing != by_id_.end() ? existing->second : static_cast<std::uint32_t>(slots_.size());
  if (auto n = by_name_.find(dev.name); n != by_name_.end() && n->second != s) {
    return Error::already_exists("device name " + quote(dev.name) + " is taken");
  }
  for (const auto& a : {dev.overlay_v4, dev.overlay_v6}) {
    if (!a) continue;
    if (auto it = by_addr_.find(*a); it != by_addr_.end() && it->second != s) {
      return Error::already_exists("overlay address " + a->to_string() + " is in use");
    }
  }
  SlotSet old_peers;
  std::vector<net::Prefix> old_addrs;
  if (existing != by_id_.end()) {
    Slot& x = slots_[s];
    old_peers = peer_slots(*x.netmap);
    old_addrs = x.dev.addresses();
    by_name_.erase(x.dev.name);
    for (const auto& a : {x.dev.overlay_v4, x.dev.overlay_v6}) {
      if (a) by_addr_.erase(*a);
    }
    index_user_slot(s, false);
    x.dev = std::move(dev);
  } else {
    Slot x;
    x.dev = std::move(dev);
    x.alive = true;
    slots_.push_back(std::move(x));
    by_id_[slots_[s].dev.id] = s;
    refresh_ranks();
  }
  Slot& x = slots_[s];
  by_name_[x.dev.name] = s;
  for (const auto& a : {x.dev.overlay_v4, x.dev.overlay_v6}) {
    if (a) by_addr_[*a] = s;
  }
  index_user_slot(s, true);
  refresh_slot_derived(s);
  refresh_memberships(s, old_addrs);
  return propagate({s}, std::move(old_peers), {});
}

Result<std::vector<std::string>> Compiler::remove_device(std::string_view id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return Error::not_found("no device " + quote(id));
  std::uint32_t s = it->second;
  Slot& x = slots_[s];
  SlotSet old_peers = peer_slots(*x.netmap);
  std::vector<net::Prefix> old_addrs = x.dev.addresses();
  std::string dev_id = x.dev.id;
  by_name_.erase(x.dev.name);
  for (const auto& a : {x.dev.overlay_v4, x.dev.overlay_v6}) {
    if (a) by_addr_.erase(*a);
  }
  index_user_slot(s, false);
  by_id_.erase(it);
  x.alive = false;
  x.eligible = false;
  x.netmap.reset();
  refresh_ranks();
  refresh_memberships(s, old_addrs);
  return propagate({s}, std::move(old_peers), {dev_id});
}

Result<std::vector<std::string>> Compiler::upsert_user(User user) {
  Inventory check;
  check.users.push_back(std::move(user));
  WARD_RETURN_IF_ERROR(validate_inventory(check));
  User& u = check.users.front();
  SlotSet touched, old_peers;
  if (auto it = user_slots_.find(u.email); it != user_slots_.end()) touched = it->second;
  for (std::uint32_t t : touched) {
    SlotSet p = peer_slots(*slots_[t].netmap);
    old_peers.insert(old_peers.end(), p.begin(), p.end());
  }
  users_[u.email] = std::move(u);
  for (std::uint32_t t : touched)
    refresh_memberships(t, slots_[t].dev.addresses());
  return propagate(touched, std::move(old_peers), {});
}

std::vector<std::string> Compiler::recompile_and_diff() {
  std::vector<std::shared_ptr<const Netmap>> old(slots_.size());
  for (std::uint32_t s = 0; s < slots_.size(); ++s)
    old[s] = slots_[s].netmap;
  full_compile();
  std::vector<std::string> changed;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    Slot& x = slots_[s];
    if (!x.alive) continue;
    if (old[s] && same_content(*old[s], *x.netmap)) {
      x.netmap = std::move(old[s]);  // keep identity for unchanged maps
    } else {
      changed.push_back(x.dev.id);
    }
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

std::vector<std::string> Compiler::set_policy(std::shared_ptr<const Policy> policy) {
  policy_ = policy ? std::move(policy) : std::make_shared<const Policy>();
  return recompile_and_diff();
}

std::vector<std::string> Compiler::advance_time(Time now) {
  if (now < now_) {
    now_ = now;
    return recompile_and_diff();
  }
  now_ = now;
  SlotSet touched;
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    CRule& cr = rules_[i];
    if (!cr.live || cr.rule->live_at(now)) continue;
    cr.live = false;
    touched.insert(touched.end(), cr.src.begin(), cr.src.end());
    touched.insert(touched.end(), cr.dst_union.begin(), cr.dst_union.end());
    if (cr.has_self) {
      for (std::uint32_t s : cr.src) {
        if (!self_eligible(s)) continue;
        const SlotSet& mine = user_slots_.at(slots_[s].dev.user);
        touched.insert(touched.end(), mine.begin(), mine.end());
      }
    }
    for (std::uint32_t s : cr.src)
      erase_sorted(slots_[s].src_rules, i);
    for (std::uint32_t t : cr.dst_union)
      erase_sorted(slots_[t].dst_rules, i);
    cr.src.clear();
    cr.dst_union.clear();
    for (SlotSet& e : cr.entry)
      e.clear();
    build_src_list(cr);
  }
  sort_unique(touched);
  std::vector<std::string> changed;
  for (std::uint32_t t : touched) {
    Slot& x = slots_[t];
    if (!x.alive) continue;
    auto m = build_netmap(t);
    if (!same_content(*x.netmap, *m)) {
      x.netmap = std::move(m);
      changed.push_back(x.dev.id);
    }
  }
  std::sort(changed.begin(), changed.end());
  return changed;
}

}  // namespace ward::policy
