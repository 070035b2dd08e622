#include "node/reconcile/diff.hpp"

#include <catch2/catch.hpp>

#include "node/reconcile/test_util.hpp"

using namespace ward::node;
using namespace ward::node::testing;

namespace {

WgState state_of(const WgConfig& c) {
  WgState s;
  s.private_key = c.private_key;
  s.listen_port = c.listen_port;
  for (const auto& p : c.peers) {
    WgPeerState ps;
    ps.public_key = p.public_key;
    ps.allowed_ips = p.allowed_ips;
    ps.endpoint = p.endpoint;
    ps.persistent_keepalive = p.persistent_keepalive;
    ps.rx_bytes = 1234;  // live counters never cause a change
    ps.last_handshake_sec = 1700000000;
    s.peers.push_back(ps);
  }
  return s;
}

}  // namespace

TEST_CASE("desired_from_netmap", "[unit]") {
  auto m = sample_map({2, 3});
  m.peers[0].allowed_ips = {pfx("100.64.0.2/32"), pfx("100.64.0.2/32"), pfx("100.64.0.0/31")};
  m.peers[0].endpoints.push_back(ep("198.51.100.9:1"));
  m.peers[1].endpoints.clear();
  auto d = desired_from_netmap(m, priv_key(7), 51820);
  CHECK(d.wg.listen_port == 51820);
  CHECK(d.wg.private_key == priv_key(7));
  REQUIRE(d.wg.peers.size() == 2);
  CHECK(d.wg.peers[0].allowed_ips ==
        std::vector<ward::net::Prefix>{pfx("100.64.0.0/31"), pfx("100.64.0.2/32")});
  CHECK(d.wg.peers[0].endpoint == ep("192.0.2.2:51820"));  // the first endpoint
  CHECK_FALSE(d.wg.peers[1].endpoint.has_value());
  CHECK(d.wg.peers[1].persistent_keepalive == 25);
  CHECK(d.routes ==
        std::vector<ward::net::Prefix>{pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")});
  CHECK(d.addresses.size() == 2);
  CHECK(d.filter == m.filter);
}

TEST_CASE("diff_wireguard: from empty creates every peer with all fields", "[unit]") {
  auto d = desired_from_netmap(sample_map({2, 3}), priv_key(7), 51820);
  auto c = diff_wireguard(d.wg, WgState{});
  REQUIRE(c.private_key.has_value());
  CHECK(c.listen_port == std::optional<std::uint16_t>(51820));
  CHECK_FALSE(c.replace_peers);
  REQUIRE(c.peers.size() == 2);
  for (const auto& p : c.peers) {
    CHECK_FALSE(p.remove);
    CHECK_FALSE(p.update_only);
    CHECK(p.endpoint.has_value());
    CHECK(p.persistent_keepalive == std::optional<std::uint16_t>(25));
    CHECK(p.replace_allowed_ips.has_value());
  }
}

TEST_CASE("diff_wireguard: converged state gives an empty change", "[unit]") {
  auto d = desired_from_netmap(sample_map({2, 3, 4}), priv_key(7), 51820);
  CHECK(diff_wireguard(d.wg, state_of(d.wg)).empty());
  // Allowed IPs in another order are the same set.
  auto s = state_of(d.wg);
  s.peers[0].allowed_ips = {pfx("100.64.0.2/32"), pfx("100.64.0.2/32")};
  CHECK(diff_wireguard(d.wg, s).empty());
  // Unmanaged port/key: nothing to set.
  WgConfig unmanaged = d.wg;
  unmanaged.listen_port = 0;
  unmanaged.private_key.clear();
  auto s2 = state_of(d.wg);
  s2.listen_port = 4242;
  CHECK(diff_wireguard(unmanaged, s2).empty());
}

TEST_CASE("diff_wireguard: only changed fields, updates in place, removals first", "[unit]") {
  auto before = desired_from_netmap(sample_map({2, 3, 4}), priv_key(7), 51820);
  auto actual = state_of(before.wg);
  auto m = sample_map({2, 3, 5});
  m.peers[0].endpoints = {ep("198.51.100.2:9999")};                // endpoint moved
  m.peers[1].allowed_ips.push_back(pfx("fd7a:115c:a1e0::3/128"));  // allowed IPs grew
  auto after = desired_from_netmap(m, priv_key(7), 51820);
  auto c = diff_wireguard(after.wg, actual);
  CHECK_FALSE(c.private_key.has_value());
  CHECK_FALSE(c.listen_port.has_value());
  REQUIRE(c.peers.size() == 4);
  CHECK(c.peers[0].public_key == key_n(4));
  CHECK(c.peers[0].remove);

  const auto& moved = c.peers[1];
  CHECK(moved.public_key == key_n(2));
  CHECK_FALSE(moved.remove);
  CHECK(moved.update_only);
  CHECK(moved.endpoint == ep("198.51.100.2:9999"));
  CHECK_FALSE(moved.persistent_keepalive.has_value());
  CHECK_FALSE(moved.replace_allowed_ips.has_value());

  const auto& grown = c.peers[2];
  CHECK(grown.public_key == key_n(3));
  CHECK(grown.update_only);
  CHECK_FALSE(grown.endpoint.has_value());
  CHECK(grown.replace_allowed_ips == std::optional<std::vector<ward::net::Prefix>>(
                                         {pfx("100.64.0.3/32"), pfx("fd7a:115c:a1e0::3/128")}));

  CHECK(c.peers[3].public_key == key_n(5));
  CHECK_FALSE(c.peers[3].update_only);
}

TEST_CASE("diff_wireguard: no desired endpoint leaves a learned one alone", "[unit]") {
  auto m = sample_map({2});
  m.peers[0].endpoints.clear();
  auto d = desired_from_netmap(m, priv_key(7), 51820);
  auto s = state_of(d.wg);
  s.peers[0].endpoint = ep("203.0.113.5:777");  // roamed
  CHECK(diff_wireguard(d.wg, s).empty());
}

TEST_CASE("diff_wireguard: key and port changes", "[unit]") {
  auto d = desired_from_netmap(sample_map({}), priv_key(7), 51820);
  auto s = state_of(d.wg);
  s.private_key = priv_key(8);
  s.listen_port = 1;
  auto c = diff_wireguard(d.wg, s);
  REQUIRE(c.private_key.has_value());
  CHECK(*c.private_key == priv_key(7));
  CHECK(c.listen_port == std::optional<std::uint16_t>(51820));
}

TEST_CASE("diff_addresses and diff_routes", "[unit]") {
  auto a = diff_addresses({ifa("100.64.0.1/32"), ifa("fd7a:115c:a1e0::1/128")},
                          {ifa("100.64.0.1/32"), ifa("100.64.0.9/32"), ifa("fe80::1/64")});
  CHECK(a.add == std::vector<ward::net::InterfaceAddress>{ifa("fd7a:115c:a1e0::1/128")});
  CHECK(a.remove == std::vector<ward::net::InterfaceAddress>{ifa("100.64.0.9/32")});  // not fe80
  auto r = diff_routes({pfx("100.64.0.0/10")}, {pfx("100.64.0.0/10"), pfx("10.0.0.0/8")});
  CHECK(r.add.empty());
  CHECK(r.remove == std::vector<ward::net::Prefix>{pfx("10.0.0.0/8")});
  CHECK(diff_routes({pfx("100.64.0.0/10")}, {pfx("100.64.0.0/10")}).empty());
}

TEST_CASE("private keys are clamped like devices report them", "[unit]") {
  ward::SecretBytes k(32);
  for (auto& b : k.span())
    b = 0xff;
  clamp_private_key(k);
  CHECK(k.data()[0] == 0xf8);
  CHECK(k.data()[1] == 0xff);
  CHECK(k.data()[31] == 0x7f);
  ward::SecretBytes raw(32);
  for (auto& b : raw.span())
    b = 0x41;  // wireguard-go reports 40 41 .. 41 for this key
  auto d = desired_from_netmap(sample_map({}), raw, 1);
  CHECK(d.wg.private_key.data()[0] == 0x40);
  CHECK(d.wg.private_key.data()[31] == 0x41);
  ward::SecretBytes short_key(3);
  clamp_private_key(short_key);  // no-op, no crash
  CHECK(short_key.data()[0] == 0);
}
