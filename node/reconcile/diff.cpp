#include "node/reconcile/diff.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace ward::node {
namespace {

std::vector<net::Prefix> normalized(std::vector<net::Prefix> v) {
  normalize_prefixes(v);
  return v;
}

bool is_link_local(const net::InterfaceAddress& a) {
  if (!a.address.is_v6()) return false;
  const auto b = a.address.bytes();
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

template <class T>
ListDiff<T> set_diff(const std::vector<T>& desired, const std::vector<T>& actual) {
  const std::set<T> want(desired.begin(), desired.end());
  const std::set<T> have(actual.begin(), actual.end());
  ListDiff<T> d;
  for (const T& x : want)
    if (!have.count(x)) d.add.push_back(x);
  for (const T& x : have)
    if (!want.count(x)) d.remove.push_back(x);
  return d;
}

}  // namespace

WgChange diff_wireguard(const WgConfig& desired, const WgState& actual) {
  WgChange change;
  if (!desired.private_key.empty() && !(desired.private_key == actual.private_key))
    change.private_key = desired.private_key;
  if (desired.listen_port != 0 && desired.listen_port != actual.listen_port)
    change.listen_port = desired.listen_port;

  std::unordered_map<WgKey, const WgPeerConfig*> want;
  want.reserve(desired.peers.size());
  for (const auto& p : desired.peers)
    want.emplace(p.public_key, &p);
  std::unordered_map<WgKey, const WgPeerState*> have;
  have.reserve(actual.peers.size());
  for (const auto& p : actual.peers)
    have.emplace(p.public_key, &p);

  // Removals first (sorted for deterministic output), so an allowed IP that moves from a
  // vanished peer to another is never claimed twice.
  std::vector<WgKey> gone;
  for (const auto& p : actual.peers)
    if (!want.count(p.public_key)) gone.push_back(p.public_key);
  std::sort(gone.begin(), gone.end());
  for (const auto& k : gone) {
    WgPeerChange c;
    c.public_key = k;
    c.remove = true;
    change.peers.push_back(std::move(c));
  }

  for (const auto& p : desired.peers) {
    auto it = have.find(p.public_key);
    WgPeerChange c;
    c.public_key = p.public_key;
    if (it == have.end()) {
      c.endpoint = p.endpoint;
      c.persistent_keepalive = p.persistent_keepalive;
      c.replace_allowed_ips = normalized(p.allowed_ips);
      change.peers.push_back(std::move(c));
      continue;
    }
    const WgPeerState& cur = *it->second;
    c.update_only = true;
    bool any = false;
    if (p.endpoint && p.endpoint != cur.endpoint) {
      c.endpoint = p.endpoint;
      any = true;
    }
    if (p.persistent_keepalive != cur.persistent_keepalive) {
      c.persistent_keepalive = p.persistent_keepalive;
      any = true;
    }
    auto want_ips = normalized(p.allowed_ips);
    if (want_ips != normalized(cur.allowed_ips)) {
      c.replace_allowed_ips = std::move(want_ips);
      any = true;
    }
    if (any) change.peers.push_back(std::move(c));
  }
  return change;
}

ListDiff<net::InterfaceAddress> diff_addresses(const std::vector<net::InterfaceAddress>& desired,
                                               const std::vector<net::InterfaceAddress>& actual) {
  auto d = set_diff(desired, actual);
  std::erase_if(d.remove, is_link_local);
  return d;
}

ListDiff<net::Prefix> diff_routes(const std::vector<net::Prefix>& desired,
                                  const std::vector<net::Prefix>& actual) {
  return set_diff(desired, actual);
}

}  // namespace ward::node
