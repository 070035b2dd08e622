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
    if (in_src != was || (in_src && addrs_changed)) {
      mark_dirty(i);
      if (in_src && !was)
        insert_sorted(cr.src, s);
      else if (!in_src && was)
        erase_sorted(cr.src, s);
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

void Compiler::begin_change(std::vector<std::string> users) {
  for (const DirtyRule& d : dirty_)
    dirty_index_[d.rule] = 0;
  dirty_.clear();
  gained_rules_.clear();
  touched_users_ = std::move(users);
}

void Compiler::mark_dirty(std::uint32_t rule) {
  if (dirty_index_[rule] != 0) return;
  const CRule& cr = rules_[rule];
  dirty_.push_back({rule, cr.src_list, cr.src.empty(), false});
  dirty_index_[rule] = static_cast<std::uint32_t>(dirty_.size());
}

std::vector<std::string> Compiler::ids_of(SlotSet slots, std::vector<std::string> extra) const {
  // Device ids sort like ranks; strings are only compared for the few `extra` ids.
  std::sort(slots.begin(), slots.end(),
            [this](std::uint32_t a, std::uint32_t b) { return rank_[a] < rank_[b]; });
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  std::vector<std::string> out;
  out.reserve(slots.size() + extra.size());
  for (std::uint32_t s : slots)
    out.push_back(slots_[s].dev.id);
  for (std::string& id : extra) {
    auto it = std::lower_bound(out.begin(), out.end(), id);
    if (it == out.end() || *it != id) out.insert(it, std::move(id));
  }
  return out;
}

std::vector<std::string> Compiler::propagate(const SlotSet& touched, SlotSet old_peers,
                                             std::vector<std::string> also_changed) {
  // 0: not affected, 1: affected (a peer before or after), 2: touched.
  std::vector<char> mark(slots_.size(), 0);
  for (std::uint32_t t : touched)
    mark[t] = 2;
  SlotSet affected;
  auto add = [&](std::uint32_t p) {
    if (mark[p] == 0) {
      mark[p] = 1;
      affected.push_back(p);
    }
  };
  for (std::uint32_t p : old_peers)
    add(p);
  for (DirtyRule& dr : dirty_) {
    const CRule& cr = rules_[dr.rule];
    dr.content_changed =
        dr.old_list != cr.src_list && dr.old_list->prefixes != cr.src_list->prefixes;
    if (dr.was_empty && !cr.src.empty()) gained_rules_.push_back(dr.rule);
  }
  SlotSet changed;
  for (std::uint32_t t : touched) {
    Slot& x = slots_[t];
    if (!x.alive) continue;
    auto m = build_netmap(t);
    for (const PeerEntry& p : m->peers)
      add(p.info->slot);
    if (!x.netmap || !same_content(*x.netmap, *m)) {
      x.netmap = std::move(m);
      changed.push_back(t);
    }
  }
  // A change to a device everybody peers with patches thousands of netmaps, each in
  // memory of its own: fetch a few ahead (slot, then its netmap, then its arrays) so the
  // loop is not bound by one cache miss after another.
  const std::size_t n = affected.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 6 < n) {
      const Slot& y = slots_[affected[i + 6]];
      __builtin_prefetch(&y.netmap);
      __builtin_prefetch(&y.dst_rules);
    }
    if (i + 4 < n) {
      if (const Netmap* m = slots_[affected[i + 4]].netmap.get()) __builtin_prefetch(m);
    }
    if (i + 2 < n) {
      if (const Netmap* m = slots_[affected[i + 2]].netmap.get()) {
        m->peers.prefetch();
        __builtin_prefetch(m->filters.data());
      }
    }
    if (i + 1 < n) {
      if (const Netmap* m = slots_[affected[i + 1]].netmap.get()) m->peers.prefetch_chunks();
    }
    const std::uint32_t d = affected[i];
    Slot& x = slots_[d];
    if (!x.alive) continue;
    if (auto m = patch_netmap(d, touched)) {
      x.netmap = std::move(m);
      changed.push_back(d);
    }
  }
  begin_change({});  // drop the old source lists now
  return ids_of(std::move(changed), std::move(also_changed));
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
  std::vector<std::string> users;
  if (!dev.user.empty()) users.push_back(dev.user);
  if (existing != by_id_.end() && !slots_[s].dev.user.empty()) users.push_back(slots_[s].dev.user);
  begin_change(std::move(users));
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
    rank_insert(s);
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
  begin_change(x.dev.user.empty() ? std::vector<std::string>{}
                                  : std::vector<std::string>{x.dev.user});
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
  rank_erase(s);
  refresh_memberships(s, old_addrs);
  return propagate({s}, std::move(old_peers), {dev_id});
}

Result<std::vector<std::string>> Compiler::upsert_user(User user) {
  Inventory check;
  check.users.push_back(std::move(user));
  WARD_RETURN_IF_ERROR(validate_inventory(check));
  User& u = check.users.front();
  begin_change({u.email});
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
