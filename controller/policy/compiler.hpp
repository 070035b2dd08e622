// The policy compiler: Policy + Inventory + now -> one Netmap per device, kept up to date
// incrementally as devices, users, the policy or the time change.
//
// Semantics (the contract the tests and the naive evaluator check):
// - Only ACTIVE devices take part. Others get a netmap with `self` only and appear in
//   no other device's netmap.
// - A rule that is expired (expires <= now) allows nothing.
// - Device s may send (proto, port) to device d (s != d) iff some live rule R has s in
//   src(R) and d in a destination entry e of R with ports_protos_allow(e.ports, e.protos).
//   src(R): active devices matched by one of R's src aliases that satisfy one of R's
//   srcPosture postures (if it names any). autogroup:self in dst matches d when s and d
//   are both untagged devices of the same user.
// - d's peers: every device that may send to d or that d may send to (any port/proto),
//   each with the rules (and direction) responsible. d's inbound filter: per rule that
//   reaches d, the overlay addresses of the rule's sources, the ports and protocols.
//
// Compile once: aliases are resolved to device sets once per compile; per-rule source
// sets and per-device rule indexes are kept so a change touches only the devices whose
// netmaps can change. Every mutating call returns the ids (sorted) of exactly the devices
// whose netmap content changed (removed devices included). A device change patches each
// affected netmap from its previous version (the changed device's peer entry, and the
// filters of rules whose sources changed) into a new Netmap; previous versions stay
// valid for whoever still holds them (the publisher diffs against them).
//
// Thread-safety: a Compiler is not thread-safe; callers serialise access. Netmaps it hands
// out are immutable and may be read concurrently and kept after later changes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/base/result.hpp"
#include "controller/policy/inventory.hpp"
#include "controller/policy/netmap.hpp"
#include "controller/policy/policy.hpp"

namespace ward::policy {

struct CompileOptions {
  std::uint16_t persistent_keepalive = 25;
};

class Compiler {
 public:
  // Validates the inventory (validate_inventory) and compiles every netmap.
  static Result<std::unique_ptr<Compiler>> create(std::shared_ptr<const Policy> policy,
                                                  Inventory inventory, Time now,
                                                  CompileOptions options = {});

  const Policy& policy() const { return *policy_; }
  std::shared_ptr<const Policy> policy_ptr() const { return policy_; }
  Time now() const { return now_; }
  // The earliest `expires` of a rule still live at now(): recompile (advance_time) then.
  std::optional<Time> next_expiry() const;

  // nullptr for an unknown device.
  std::shared_ptr<const Netmap> netmap(std::string_view device_id) const;
  const Device* device(std::string_view device_id) const;
  const Device* device_by_name(std::string_view name) const;
  const Device* device_by_address(const net::IpAddress& address) const;
  // All device ids, sorted.
  std::vector<std::string> device_ids() const;
  std::size_t device_count() const { return by_id_.size(); }
  // Ids (sorted) of the ACTIVE devices an alias selects (kSelf selects nothing here).
  std::vector<std::string> resolve(const Alias& alias) const;

  // A device joins or changes (status, tags, user, key, addresses, endpoints, posture).
  // Its user, if any, must already be known (upsert_user first). Errors (invalid device,
  // unknown user, duplicate name or address) change nothing.
  Result<std::vector<std::string>> upsert_device(Device device);
  Result<std::vector<std::string>> remove_device(std::string_view device_id);
  // A user is added or their groups change.
  Result<std::vector<std::string>> upsert_user(User user);
  // A new policy version: everything is recompiled; returns the devices that changed.
  std::vector<std::string> set_policy(std::shared_ptr<const Policy> policy);
  // Time moves on: rules whose expiry has passed stop allowing.
  std::vector<std::string> advance_time(Time now);

  // The current inventory (for export and tests).
  Inventory inventory() const;

 private:
  struct Slot {
    Device dev;
    bool alive = false;
    bool eligible = false;  // alive and active
    std::shared_ptr<const PeerInfo> info;
    std::vector<std::uint32_t> src_rules;  // sorted rule indexes with this slot in src
    std::vector<std::uint32_t> dst_rules;  // ... in a (non-self) destination entry
    std::vector<char> posture_ok;          // per posture index
    std::shared_ptr<const Netmap> netmap;
    // user_slots_[dev.user] while the slot is indexed under a user (nodes of an
    // unordered_map are stable), so netmap building does not hash the email.
    const std::vector<std::uint32_t>* user_set = nullptr;
  };
  // A rule whose sources changed in the change being applied, as it was before it.
  struct DirtyRule {
    std::uint32_t rule = 0;
    std::shared_ptr<const SourceList> old_list;
    bool was_empty = false;        // no sources before
    bool content_changed = false;  // its source prefixes differ now (set by propagate)
  };
  enum class FilterPatch { kUnchanged, kChanged, kUnknown };
  struct CRule {
    const Rule* rule = nullptr;
    bool live = false;
    bool has_self = false;
    std::vector<int> postures;                      // posture indexes (any must hold)
    std::vector<std::uint32_t> src;                 // sorted slots
    std::vector<std::vector<std::uint32_t>> entry;  // per dst entry (empty for self)
    std::vector<std::uint32_t> dst_union;           // union of non-self entries
    std::shared_ptr<const SourceList> src_list;
    // Filter (protos, ports) groups, normalised once per compile: for a destination in
    // every non-self entry, and for the autogroup:self entries.
    std::size_t nonself_entries = 0;
    std::vector<std::pair<ProtoSet, SharedPorts>> all_groups;
    std::vector<std::pair<ProtoSet, SharedPorts>> self_groups;
  };

  Compiler(std::shared_ptr<const Policy> policy, Time now, CompileOptions options);

  void full_compile();
  void load(Inventory inventory);
  void index_user_slot(std::uint32_t slot, bool add);
  void refresh_ranks();
  // Keep the ranks after one live slot joins (already in by_id_) or leaves (already
  // out of by_id_): O(devices) over two arrays instead of walking by_id_.
  void rank_insert(std::uint32_t slot);
  void rank_erase(std::uint32_t slot);
  void refresh_slot_derived(std::uint32_t slot);
  bool self_eligible(std::uint32_t slot) const;
  bool passes(const CRule& r, std::uint32_t slot) const;
  bool user_in_group(const std::string& email, const std::string& group) const;
  bool alias_matches(const Alias& a, std::uint32_t slot) const;
  std::vector<std::uint32_t> resolve_indexed(const Alias& a) const;
  void build_src_list(CRule& r);
  // Edits r.src_list in O(n) (no re-sort): removes and adds host prefixes.
  void patch_src_list(CRule& r, const std::vector<net::Prefix>& remove,
                      const std::vector<net::Prefix>& add);
  // Incremental: recompute one slot's rule memberships; returns true if any changed.
  void refresh_memberships(std::uint32_t slot, const std::vector<net::Prefix>& old_addrs);
  std::shared_ptr<const Netmap> build_netmap(std::uint32_t slot) const;
  // The netmap of an untouched slot after `touched` changed, or nullptr if unchanged.
  std::shared_ptr<const Netmap> patch_netmap(std::uint32_t slot,
                                             const std::vector<std::uint32_t>& touched) const;
  // patch_netmap for a single touched slot: copies the old peer list around the one entry
  // that can differ instead of merging.
  std::shared_ptr<const Netmap> patch_netmap_one(std::uint32_t slot, std::uint32_t touched,
                                                 std::vector<FilterRule> filters,
                                                 bool filters_changed) const;
  // The device ids of `slots` (alive) merged with `extra`, sorted and unique.
  std::vector<std::string> ids_of(std::vector<std::uint32_t> slots,
                                  std::vector<std::string> extra) const;
  ProvenanceList why(std::uint32_t d, std::uint32_t t) const;
  std::vector<FilterRule> build_filters(std::uint32_t slot) const;
  // How many of a rule's non-self entries list the slot.
  std::size_t entries_with(const CRule& r, std::uint32_t slot) const;
  // The normalised (protos, ports) groups of the rule's non-self entries listing the slot
  // (CRule::all_groups when that is all of them).
  std::vector<std::pair<ProtoSet, PortSet>> partial_groups(const CRule& r,
                                                           std::uint32_t slot) const;
  // The slots of the slot's user (user_slots_), which must be indexed.
  const std::vector<std::uint32_t>& user_devices(std::uint32_t slot) const;
  // The filters of an untouched slot after the current change, patched from its old ones
  // (only dirty rules' non-self filters can differ): kUnchanged (old ones still exact),
  // kChanged (written to out), or kUnknown (the caller builds them).
  FilterPatch patch_filters(std::uint32_t slot, const Netmap& old,
                            std::vector<FilterRule>& out) const;
  // Starts a change of devices owned by `users` (before and after): forgets dirty rules.
  void begin_change(std::vector<std::string> users);
  void mark_dirty(std::uint32_t rule);
  std::vector<std::uint32_t> peer_slots(const Netmap& m) const;
  // Applies a change to `touched` slots (already updated in place) and recomputes
  // affected netmaps; old_peers are the touched slots' peers before the change.
  std::vector<std::string> propagate(const std::vector<std::uint32_t>& touched,
                                     std::vector<std::uint32_t> old_peers,
                                     std::vector<std::string> also_changed);
  std::vector<std::string> recompile_and_diff();

  std::shared_ptr<const Policy> policy_;
  Time now_;
  CompileOptions options_;
  std::vector<Slot> slots_;
  std::map<std::string, std::uint32_t, std::less<>> by_id_;  // live devices
  std::unordered_map<std::string, std::uint32_t> by_name_;
  std::map<net::IpAddress, std::uint32_t> by_addr_;
  std::unordered_map<std::string, User> users_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> user_slots_;  // email -> slots
  std::vector<std::uint32_t> rank_;          // slot -> position in id order
  std::vector<std::uint32_t> rank_to_slot_;  // position -> slot
  std::vector<CRule> rules_;
  std::vector<std::uint32_t> self_rules_;  // rules with an autogroup:self destination
  // The change being applied (upsert_device, remove_device, upsert_user).
  std::vector<DirtyRule> dirty_;
  std::vector<std::uint32_t> dirty_index_;   // rule -> 1 + index into dirty_, or 0
  std::vector<std::uint32_t> gained_rules_;  // dirty rules that had no sources before
  std::vector<std::string> touched_users_;
  std::map<std::string, int, std::less<>> posture_index_;
  std::vector<const Posture*> postures_;
};

}  // namespace ward::policy
