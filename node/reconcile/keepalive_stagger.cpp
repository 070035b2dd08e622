#include "node/reconcile/keepalive_stagger.hpp"

#include <algorithm>

namespace ward::node {

std::optional<KeepaliveStagger::Clock::time_point> KeepaliveStagger::hold(WgConfig& wg,
                                                                          Clock::time_point now) {
  std::map<WgKey, std::optional<Clock::time_point>> seen;
  std::optional<Clock::time_point> due;
  for (auto& p : wg.peers) {
    auto it = first_seen_.find(p.public_key);
    std::optional<Clock::time_point> first;  // nullopt: appeared while disarmed, never held
    if (it != first_seen_.end())
      first = it->second;
    else if (armed_)
      first = now;
    seen.emplace(p.public_key, first);
    if (!first || p.persistent_keepalive == 0) continue;
    const Clock::time_point until = *first + hold_for(p.public_key);
    if (now < until) {
      p.persistent_keepalive = 0;
      due = due ? std::min(*due, until) : until;
    }
  }
  first_seen_ = std::move(seen);
  return due;
}

}  // namespace ward::node
