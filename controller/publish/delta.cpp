#include "controller/publish/delta.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace ward::publish {
namespace {

using InfoPtr = std::shared_ptr<const policy::PeerInfo>;

void sort_infos(std::vector<InfoPtr>& v) {
  std::sort(v.begin(), v.end(), [](const InfoPtr& a, const InfoPtr& b) {
    return std::tie(a->id, a->public_key) < std::tie(b->id, b->public_key);
  });
}

void sort_unique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

WireDelta wire_diff(const policy::Netmap& before, const WireFilter& before_filter,
                    const policy::Netmap& after, std::shared_ptr<const WireFilter> after_filter) {
  WireDelta d;
  if (!same_wire_self(before.self, after.self)) d.self = after.self;
  if (!after_filter) after_filter = std::make_shared<const WireFilter>();
  if (!same_wire_filter(before_filter, *after_filter)) d.filter = std::move(after_filter);
  const bool all_changed = before.persistent_keepalive != after.persistent_keepalive;
  auto i = before.peers.begin(), j = after.peers.begin();
  const auto i_end = before.peers.end(), j_end = after.peers.end();
  while (i != i_end || j != j_end) {
    if (!all_changed && i != i_end && j != j_end && i.at_chunk_start() && j.at_chunk_start() &&
        i.chunk() == j.chunk()) {
      i.skip_chunk();  // a chunk of entries both versions share: no peer in it changed
      j.skip_chunk();
    } else if (j == j_end || (i != i_end && i->info->id < j->info->id)) {
      d.removed.push_back(i->info->public_key);
      ++i;
    } else if (i == i_end || j->info->id < i->info->id) {
      d.added.push_back(j->info);
      ++j;
    } else {
      const InfoPtr& x = i->info;
      const InfoPtr& y = j->info;
      ++i;
      ++j;
      if (x->public_key != y->public_key) {
        d.removed.push_back(x->public_key);
        d.added.push_back(y);
      } else if (all_changed || (x != y && !same_wire_peer(*x, *y))) {
        d.changed.push_back(y);
      }
    }
  }
  // A key both removed and added (it moved to another peer id) is a replacement.
  if (!d.removed.empty() && !d.added.empty()) {
    std::unordered_set<std::string> gone(d.removed.begin(), d.removed.end());
    std::unordered_set<std::string> back;
    std::erase_if(d.added, [&](const InfoPtr& p) {
      if (!gone.contains(p->public_key)) return false;
      back.insert(p->public_key);
      d.changed.push_back(p);
      return true;
    });
    std::erase_if(d.removed, [&](const std::string& k) { return back.contains(k); });
  }
  sort_unique(d.removed);
  sort_infos(d.added);
  sort_infos(d.changed);
  return d;
}

WireDelta compose(const std::deque<WireDelta>& steps, std::size_t from) {
  enum class State { kAdded, kChanged, kRemoved };
  struct Entry {
    State state;
    InfoPtr info;
  };
  std::unordered_map<std::string, Entry> peers;
  WireDelta out;
  out.base_serial = steps[from].base_serial;
  out.serial = steps.back().serial;
  for (std::size_t s = from; s < steps.size(); ++s) {
    const WireDelta& d = steps[s];
    for (const std::string& k : d.removed) {
      auto it = peers.find(k);
      if (it != peers.end() && it->second.state == State::kAdded)
        peers.erase(it);  // never known to the node: nothing to remove
      else
        peers[k] = {State::kRemoved, nullptr};
    }
    for (const InfoPtr& p : d.added) {
      auto it = peers.find(p->public_key);
      if (it != peers.end() && it->second.state == State::kRemoved)
        it->second = {State::kChanged, p};  // the node still has the key: replace it
      else
        peers[p->public_key] = {State::kAdded, p};
    }
    for (const InfoPtr& p : d.changed) {
      auto it = peers.find(p->public_key);
      if (it != peers.end() && it->second.state == State::kAdded)
        it->second.info = p;
      else
        peers[p->public_key] = {State::kChanged, p};
    }
    if (d.filter) out.filter = d.filter;
    if (d.self) out.self = d.self;
  }
  for (auto& [key, e] : peers) {
    switch (e.state) {
      case State::kRemoved:
        out.removed.push_back(key);
        break;
      case State::kAdded:
        out.added.push_back(std::move(e.info));
        break;
      case State::kChanged:
        out.changed.push_back(std::move(e.info));
        break;
    }
  }
  sort_unique(out.removed);
  sort_infos(out.added);
  sort_infos(out.changed);
  return out;
}

}  // namespace ward::publish
