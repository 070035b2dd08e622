#include "node/reconcile/fake_backends.hpp"

#include <algorithm>

namespace ward::node {

Result<WgState> FakeWireGuard::get() {
  ++get_calls;
  return state;
}

Status FakeWireGuard::apply(const WgChange& change) {
  applied.push_back(change);
  if (fail_next_apply) {
    Error e = *fail_next_apply;
    fail_next_apply.reset();
    return e;
  }
  if (change.private_key) state.private_key = *change.private_key;
  if (change.listen_port) state.listen_port = *change.listen_port;
  if (change.replace_peers) state.peers.clear();
  for (const WgPeerChange& c : change.peers) {
    auto it = std::find_if(state.peers.begin(), state.peers.end(),
                           [&](const WgPeerState& p) { return p.public_key == c.public_key; });
    if (c.remove) {
      if (it != state.peers.end()) state.peers.erase(it);
      continue;
    }
    if (it == state.peers.end()) {
      if (c.update_only) continue;
      WgPeerState p;
      p.public_key = c.public_key;
      state.peers.push_back(p);
      it = state.peers.end() - 1;
    }
    if (c.endpoint) it->endpoint = c.endpoint;
    if (c.persistent_keepalive) it->persistent_keepalive = *c.persistent_keepalive;
    if (c.replace_allowed_ips) {
      const WgKey self = it->public_key;
      for (auto& other : state.peers) {
        if (other.public_key == self) continue;
        std::erase_if(other.allowed_ips, [&](const net::Prefix& x) {
          return std::find(c.replace_allowed_ips->begin(), c.replace_allowed_ips->end(), x) !=
                 c.replace_allowed_ips->end();
        });
      }
      // `it` may be stale only if peers were erased, which the loop above never does.
      it->allowed_ips = *c.replace_allowed_ips;
      normalize_prefixes(it->allowed_ips);
    }
  }
  return ok();
}

Status FakeAddresses::add(const net::InterfaceAddress& a) {
  calls.push_back("add " + a.to_string());
  if (std::find(addresses.begin(), addresses.end(), a) == addresses.end()) addresses.push_back(a);
  return ok();
}

Status FakeAddresses::remove(const net::InterfaceAddress& a) {
  calls.push_back("remove " + a.to_string());
  std::erase(addresses, a);
  return ok();
}

Status FakeAddresses::set_up() {
  calls.push_back("up");
  up = true;
  return ok();
}

Status FakeRoutes::add(const net::Prefix& p) {
  calls.push_back("add " + p.to_string());
  if (std::find(routes.begin(), routes.end(), p) == routes.end()) routes.push_back(p);
  return ok();
}

Status FakeRoutes::remove(const net::Prefix& p) {
  calls.push_back("remove " + p.to_string());
  std::erase(routes, p);
  return ok();
}

Status FakeFilter::apply(const FilterRules& rules) {
  applied.push_back(rules);
  if (fail_next_apply) {
    Error e = *fail_next_apply;
    fail_next_apply.reset();
    return e;
  }
  current = rules;
  return ok();
}

Status FakeFilter::remove() {
  ++remove_calls;
  current.reset();
  return ok();
}

}  // namespace ward::node
