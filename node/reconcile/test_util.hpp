// Shared helpers for reconcile tests.
#pragma once

#include "node/netmap/test_keys.hpp"
#include "node/reconcile/desired.hpp"

namespace ward::node::testing {

inline net::Prefix pfx(const char* s) {
  return net::Prefix::parse(s).value();
}
inline net::InterfaceAddress ifa(const char* s) {
  return net::InterfaceAddress::parse(s).value();
}
inline Endpoint ep(const char* s) {
  return Endpoint::parse(s).value();
}

inline SecretBytes priv_key(std::uint8_t fill) {
  SecretBytes k(32);
  for (auto& b : k.span())
    b = fill;
  clamp_private_key(k);  // as a device reports it
  return k;
}

inline Peer map_peer(unsigned n) {
  Peer p;
  p.id = "dev_" + std::to_string(n);
  p.public_key = key_n(n);
  const std::string v4 = "100.64.0." + std::to_string(n) + "/32";
  p.allowed_ips = {net::Prefix::parse(v4).value()};
  p.endpoints = {Endpoint::parse("192.0.2." + std::to_string(n) + ":51820").value()};
  p.persistent_keepalive = 25;
  return p;
}

inline Netmap sample_map(std::initializer_list<unsigned> peers) {
  Netmap m;
  m.serial = 1;
  m.self.id = "dev_self";
  m.self.addresses = {ifa("100.64.0.1/32"), ifa("fd7a:115c:a1e0::1/128")};
  m.overlay = {pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")};
  for (unsigned n : peers)
    m.peers.push_back(map_peer(n));
  m.filter.inbound = {FilterRule{{pfx("100.64.0.2/32")}, {6}, {{443, 443}}}};
  return m;
}

}  // namespace ward::node::testing
