#include "controller/policy/compiler.hpp"

#include <algorithm>

#include "controller/policy/compiler_internal.hpp"

namespace ward::policy {

using detail::add_group;
using detail::erase_sorted;
using detail::has;
using detail::insert_sorted;
using detail::SlotSet;
using detail::sort_unique;

Result<std::unique_ptr<Compiler>> Compiler::create(std::shared_ptr<const Policy> policy,
                                                   Inventory inventory, Time now,
                                                   CompileOptions options) {
  WARD_RETURN_IF_ERROR(validate_inventory(inventory));
  std::unique_ptr<Compiler> c(new Compiler(std::move(policy), now, options));
  c->load(std::move(inventory));
  c->full_compile();
  return c;
}

Compiler::Compiler(std::shared_ptr<const Policy> policy, Time now, CompileOptions options)
    : policy_(policy ? std::move(policy) : std::make_shared<const Policy>()),
      now_(now),
      options_(options) {}

void Compiler::load(Inventory inv) {
  for (User& u : inv.users)
    users_[u.email] = std::move(u);
  slots_.reserve(inv.devices.size());
  for (Device& d : inv.devices) {
    auto s = static_cast<std::uint32_t>(slots_.size());
    Slot slot;
    slot.dev = std::move(d);
    slot.alive = true;
    slots_.push_back(std::move(slot));
    const Device& dev = slots_.back().dev;
    by_id_[dev.id] = s;
    by_name_[dev.name] = s;
    for (const auto& a : {dev.overlay_v4, dev.overlay_v6}) {
      if (a) by_addr_[*a] = s;
    }
    index_user_slot(s, true);
  }
  refresh_ranks();
}

void Compiler::index_user_slot(std::uint32_t slot, bool add) {
  const std::string& user = slots_[slot].dev.user;
  if (user.empty()) return;
  SlotSet& v = user_slots_[user];
  if (add) {
    insert_sorted(v, slot);
    slots_[slot].user_set = &v;
  } else {
    erase_sorted(v, slot);
    slots_[slot].user_set = nullptr;
  }
}

void Compiler::refresh_ranks() {
  rank_.assign(slots_.size(), UINT32_MAX);
  rank_to_slot_.clear();
  rank_to_slot_.reserve(by_id_.size());
  for (const auto& [id, s] : by_id_) {
    rank_[s] = static_cast<std::uint32_t>(rank_to_slot_.size());
    rank_to_slot_.push_back(s);
  }
}

void Compiler::rank_insert(std::uint32_t s) {
  const std::string& id = slots_[s].dev.id;
  auto at = std::lower_bound(
      rank_to_slot_.begin(), rank_to_slot_.end(), id,
      [this](std::uint32_t x, const std::string& k) { return slots_[x].dev.id < k; });
  auto from = static_cast<std::size_t>(at - rank_to_slot_.begin());
  rank_to_slot_.insert(at, s);
  rank_.resize(slots_.size(), UINT32_MAX);
  for (std::size_t i = from; i < rank_to_slot_.size(); ++i)
    rank_[rank_to_slot_[i]] = static_cast<std::uint32_t>(i);
}

void Compiler::rank_erase(std::uint32_t s) {
  const std::size_t from = rank_[s];
  rank_to_slot_.erase(rank_to_slot_.begin() + static_cast<std::ptrdiff_t>(from));
  rank_[s] = UINT32_MAX;
  for (std::size_t i = from; i < rank_to_slot_.size(); ++i)
    rank_[rank_to_slot_[i]] = static_cast<std::uint32_t>(i);
}

void Compiler::refresh_slot_derived(std::uint32_t s) {
  Slot& x = slots_[s];
  x.eligible = x.alive && x.dev.status == DeviceStatus::kActive;
  x.posture_ok.assign(postures_.size(), 0);
  for (std::size_t i = 0; i < postures_.size(); ++i) {
    x.posture_ok[i] = posture_holds(*postures_[i], x.dev.posture) ? 1 : 0;
  }
  auto info = std::make_shared<PeerInfo>();
  info->id = x.dev.id;
  info->name = x.dev.name;
  info->user = x.dev.tagged() ? std::string() : x.dev.user;
  info->tags = x.dev.tags;
  info->public_key = x.dev.public_key;
  info->allowed_ips = x.dev.addresses();
  info->endpoints = x.dev.endpoints;
  info->slot = s;
  finish_peer_info(*info);
  x.info = std::move(info);
}

bool Compiler::self_eligible(std::uint32_t s) const {
  const Slot& x = slots_[s];
  return x.eligible && !x.dev.tagged() && !x.dev.user.empty();
}

bool Compiler::passes(const CRule& r, std::uint32_t s) const {
  if (r.postures.empty()) return true;
  for (int p : r.postures) {
    if (slots_[s].posture_ok[static_cast<std::size_t>(p)]) return true;
  }
  return false;
}

bool Compiler::user_in_group(const std::string& email, const std::string& group) const {
  auto g = policy_->groups.find(group);
  if (g != policy_->groups.end() && std::binary_search(g->second.begin(), g->second.end(), email)) {
    return true;
  }
  auto u = users_.find(email);
  return u != users_.end() &&
         std::binary_search(u->second.groups.begin(), u->second.groups.end(), group);
}

bool Compiler::alias_matches(const Alias& a, std::uint32_t s) const {
  const Device& d = slots_[s].dev;
  bool user_device = !d.tagged() && !d.user.empty();
  switch (a.kind) {
    case AliasKind::kAll:
      return true;
    case AliasKind::kUser:
      return user_device && d.user == a.name;
    case AliasKind::kGroup:
      return user_device && user_in_group(d.user, a.name);
    case AliasKind::kTag:
      return d.has_tag(a.name);
    case AliasKind::kPrefix:
      return (d.overlay_v4 && a.prefix.contains(*d.overlay_v4)) ||
             (d.overlay_v6 && a.prefix.contains(*d.overlay_v6));
    case AliasKind::kMember:
      return user_device;
    case AliasKind::kTagged:
      return d.tagged();
    case AliasKind::kSelf:
      return false;
    case AliasKind::kDeviceName:
      return d.name == a.name;
  }
  return false;
}

void Compiler::build_src_list(CRule& r) {
  auto list = std::make_shared<SourceList>();
  list->prefixes.reserve(r.src.size() * 2);
  for (std::uint32_t s : r.src) {
    const Device& d = slots_[s].dev;
    for (const auto& a : {d.overlay_v4, d.overlay_v6}) {
      if (a) list->prefixes.push_back(*net::Prefix::make(*a, a->bit_width()));
    }
  }
  std::sort(list->prefixes.begin(), list->prefixes.end());
  finish_source_list(*list);
  r.src_list = std::move(list);
}

void Compiler::patch_src_list(CRule& r, const std::vector<net::Prefix>& remove,
                              const std::vector<net::Prefix>& add) {
  auto list = std::make_shared<SourceList>();
  std::vector<net::Prefix>& v = list->prefixes;
  v.reserve(r.src_list->prefixes.size() + add.size());
  v = r.src_list->prefixes;
  for (const net::Prefix& p : remove) {
    auto it = std::lower_bound(v.begin(), v.end(), p);
    if (it != v.end() && *it == p) v.erase(it);
  }
  for (const net::Prefix& p : add) {
    auto it = std::lower_bound(v.begin(), v.end(), p);
    if (it == v.end() || *it != p) v.insert(it, p);
  }
  finish_source_list(*list);
  r.src_list = std::move(list);
}

void Compiler::full_compile() {
  posture_index_.clear();
  postures_.clear();
  for (const auto& [name, p] : policy_->postures) {
    posture_index_[name] = static_cast<int>(postures_.size());
    postures_.push_back(&p);
  }
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    Slot& x = slots_[s];
    x.src_rules.clear();
    x.dst_rules.clear();
    if (x.alive) refresh_slot_derived(s);
  }
  // Indexes for resolving aliases in one pass each (the incremental path uses
  // alias_matches; the tests check both agree).
  SlotSet all, members, tagged;
  std::unordered_map<std::string, SlotSet> by_tag;
  std::unordered_map<std::string, std::vector<std::string>> group_users;
  for (const auto& [email, u] : users_) {
    for (const std::string& g : u.groups)
      group_users[g].push_back(email);
  }
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].eligible) continue;
    all.push_back(s);
    (self_eligible(s) ? members : tagged).push_back(s);
    for (const std::string& t : slots_[s].dev.tags)
      by_tag[t].push_back(s);
  }
  auto user_devices = [&](const std::string& email, SlotSet& out) {
    auto it = user_slots_.find(email);
    if (it == user_slots_.end()) return;
    for (std::uint32_t s : it->second) {
      if (self_eligible(s)) out.push_back(s);
    }
  };
  std::unordered_map<std::string, SlotSet> cache;
  auto resolve_cached = [&](const Alias& a) -> const SlotSet& {
    std::string key = a.key();
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    SlotSet out;
    switch (a.kind) {
      case AliasKind::kAll:
        out = all;
        break;
      case AliasKind::kMember:
        out = members;
        break;
      case AliasKind::kTagged:
        out = tagged;
        break;
      case AliasKind::kUser:
        user_devices(a.name, out);
        break;
      case AliasKind::kGroup: {
        if (auto g = policy_->groups.find(a.name); g != policy_->groups.end()) {
          for (const std::string& e : g->second)
            user_devices(e, out);
        }
        if (auto g = group_users.find(a.name); g != group_users.end()) {
          for (const std::string& e : g->second)
            user_devices(e, out);
        }
        break;
      }
      case AliasKind::kTag:
        if (auto t = by_tag.find(a.name); t != by_tag.end()) out = t->second;
        break;
      case AliasKind::kPrefix:
      case AliasKind::kDeviceName:
        for (std::uint32_t s : all) {
          if (alias_matches(a, s)) out.push_back(s);
        }
        break;
      case AliasKind::kSelf:
        break;
    }
    sort_unique(out);
    return cache.emplace(std::move(key), std::move(out)).first->second;
  };

  rules_.assign(policy_->rules.size(), CRule{});
  self_rules_.clear();
  dirty_.clear();
  dirty_index_.assign(rules_.size(), 0);
  gained_rules_.clear();
  for (std::uint32_t i = 0; i < policy_->rules.size(); ++i) {
    const Rule& rule = policy_->rules[i];
    CRule& cr = rules_[i];
    cr.rule = &rule;
    cr.live = rule.live_at(now_);
    for (const std::string& p : rule.src_posture)
      cr.postures.push_back(posture_index_.at(p));
    cr.entry.assign(rule.dst.size(), {});
    std::vector<std::pair<ProtoSet, PortSet>> all_groups, self_groups;
    for (const DstEntry& e : rule.dst) {
      if (e.alias.kind == AliasKind::kSelf) {
        cr.has_self = true;
        add_group(self_groups, e.protos, e.ports);
      } else {
        ++cr.nonself_entries;
        add_group(all_groups, e.protos, e.ports);
      }
    }
    // Normalised once and shared by every netmap's filter rules.
    for (auto& [protos, ports] : all_groups)
      cr.all_groups.emplace_back(protos, normalize_ports(std::move(ports)));
    for (auto& [protos, ports] : self_groups)
      cr.self_groups.emplace_back(protos, normalize_ports(std::move(ports)));
    if (cr.has_self) self_rules_.push_back(i);
    if (cr.live) {
      for (const Alias& a : rule.src) {
        for (std::uint32_t s : resolve_cached(a)) {
          if (passes(cr, s)) cr.src.push_back(s);
        }
      }
      sort_unique(cr.src);
      for (std::size_t e = 0; e < rule.dst.size(); ++e) {
        if (rule.dst[e].alias.kind == AliasKind::kSelf) continue;
        cr.entry[e] = resolve_cached(rule.dst[e].alias);
        cr.dst_union.insert(cr.dst_union.end(), cr.entry[e].begin(), cr.entry[e].end());
      }
      sort_unique(cr.dst_union);
    }
    build_src_list(cr);
    for (std::uint32_t s : cr.src)
      slots_[s].src_rules.push_back(i);
    for (std::uint32_t t : cr.dst_union)
      slots_[t].dst_rules.push_back(i);
  }
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].alive) slots_[s].netmap = build_netmap(s);
  }
}

std::optional<Time> Compiler::next_expiry() const {
  std::optional<Time> best;
  for (const CRule& cr : rules_) {
    if (cr.live && cr.rule->expires && (!best || *cr.rule->expires < *best)) {
      best = *cr.rule->expires;
    }
  }
  return best;
}

std::shared_ptr<const Netmap> Compiler::netmap(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : slots_[it->second].netmap;
}

const Device* Compiler::device(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &slots_[it->second].dev;
}

const Device* Compiler::device_by_name(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &slots_[it->second].dev;
}

const Device* Compiler::device_by_address(const net::IpAddress& a) const {
  auto it = by_addr_.find(a);
  return it == by_addr_.end() ? nullptr : &slots_[it->second].dev;
}

std::vector<std::string> Compiler::device_ids() const {
  std::vector<std::string> out;
  out.reserve(by_id_.size());
  for (const auto& [id, s] : by_id_)
    out.push_back(id);
  return out;
}

std::vector<std::string> Compiler::resolve(const Alias& a) const {
  std::vector<std::string> out;
  for (const auto& [id, s] : by_id_) {
    if (slots_[s].eligible && alias_matches(a, s)) out.push_back(id);
  }
  return out;
}

Inventory Compiler::inventory() const {
  Inventory inv;
  for (const auto& [email, u] : users_)
    inv.users.push_back(u);
  std::sort(inv.users.begin(), inv.users.end(),
            [](const User& a, const User& b) { return a.email < b.email; });
  for (const auto& [id, s] : by_id_)
    inv.devices.push_back(slots_[s].dev);
  return inv;
}

}  // namespace ward::policy
