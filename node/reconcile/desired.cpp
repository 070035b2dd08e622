#include "node/reconcile/desired.hpp"

#include <algorithm>

namespace ward::node {

void normalize_prefixes(std::vector<net::Prefix>& prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
}

void clamp_private_key(SecretBytes& key) {
  if (key.size() != 32) return;
  key.data()[0] &= 248;
  key.data()[31] = static_cast<std::uint8_t>((key.data()[31] & 127) | 64);
}

DesiredState desired_from_netmap(const Netmap& map, const SecretBytes& private_key,
                                 std::uint16_t listen_port) {
  DesiredState d;
  d.wg.private_key = private_key;
  clamp_private_key(d.wg.private_key);
  d.wg.listen_port = listen_port;
  d.wg.peers.reserve(map.peers.size());
  for (const Peer& p : map.peers) {
    WgPeerConfig c;
    c.public_key = p.public_key;
    c.allowed_ips = p.allowed_ips;
    normalize_prefixes(c.allowed_ips);
    if (!p.endpoints.empty()) c.endpoint = p.endpoints.front();
    c.persistent_keepalive = p.persistent_keepalive;
    d.wg.peers.push_back(std::move(c));
  }
  d.addresses = map.self.addresses;
  std::sort(d.addresses.begin(), d.addresses.end());
  d.addresses.erase(std::unique(d.addresses.begin(), d.addresses.end()), d.addresses.end());
  d.routes = {map.overlay.v4, map.overlay.v6};
  normalize_prefixes(d.routes);
  d.filter = map.filter;
  return d;
}

}  // namespace ward::node
