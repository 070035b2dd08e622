#include "node/netmap/validate.hpp"

#include <catch2/catch.hpp>

#include "node/netmap/test_keys.hpp"

using namespace ward::node;
using ward::node::testing::key_n;

namespace {

ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}
Endpoint ep(const char* s) {
  return Endpoint::parse(s).value();
}

const WgKey kOwn = key_n(1000);

Peer peer(unsigned n, std::vector<ward::net::Prefix> ips) {
  Peer p;
  p.id = "dev_" + std::to_string(n);
  p.name = "peer" + std::to_string(n);
  p.public_key = key_n(n);
  p.allowed_ips = std::move(ips);
  p.endpoints = {ep("192.0.2.1:51820")};
  p.persistent_keepalive = 25;
  return p;
}

Netmap base_map() {
  Netmap m;
  m.serial = 10;
  m.self.id = "dev_self";
  m.self.addresses = {ward::net::InterfaceAddress::parse("100.64.0.1/32").value(),
                      ward::net::InterfaceAddress::parse("fd7a:115c:a1e0::1/128").value()};
  m.overlay = {pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")};
  m.peers = {peer(1, {pfx("100.64.0.2/32"), pfx("fd7a:115c:a1e0::2/128")}),
             peer(2, {pfx("100.64.0.3/32")})};
  m.filter.inbound = {FilterRule{{pfx("100.64.0.2/32")}, {6}, {{443, 443}}},
                      FilterRule{{pfx("100.64.0.3/32")}, {1, 58}, {}}};
  return m;
}

std::string reject(const Netmap& m) {
  auto s = validate_netmap(m, kOwn);
  REQUIRE_FALSE(s);
  return s.error().message();
}

}  // namespace

TEST_CASE("validate: a good map passes", "[unit]") {
  CHECK(validate_netmap(base_map(), kOwn));
}

TEST_CASE("validate: rejects bad maps whole, naming the item", "[unit]") {
  auto m = base_map();
  m.peers[1].public_key = m.peers[0].public_key;
  CHECK(reject(m).find("$.peers[1].public_key") != std::string::npos);

  m = base_map();
  m.peers[1].id = m.peers[0].id;
  CHECK(reject(m).find("duplicate peer id") != std::string::npos);

  m = base_map();
  m.peers[0].public_key = kOwn;
  CHECK(reject(m).find("own public key") != std::string::npos);

  m = base_map();
  m.peers[0].public_key = WgKey();
  CHECK(reject(m).find("all-zero") != std::string::npos);

  m = base_map();
  m.peers[1].allowed_ips = {pfx("10.0.0.1/32")};
  CHECK(reject(m).find("outside the overlay") != std::string::npos);

  m = base_map();
  m.peers[1].allowed_ips = {pfx("::/0")};
  CHECK(reject(m).find("outside the overlay") != std::string::npos);

  m = base_map();
  m.peers[1].allowed_ips = {pfx("100.64.0.0/24")};  // covers peer 1's /32
  CHECK(reject(m).find("overlaps") != std::string::npos);

  m = base_map();
  m.peers[1].allowed_ips = {pfx("100.64.0.2/32")};  // exact duplicate of peer 1
  CHECK(reject(m).find("overlaps") != std::string::npos);

  m = base_map();
  m.peers[1].allowed_ips = {pfx("100.64.0.1/32")};  // our own address
  CHECK(reject(m).find("$.self.addresses[0]") != std::string::npos);

  m = base_map();
  m.peers[0].endpoints = {Endpoint{ward::net::IpAddress::parse("0.0.0.0").value(), 5}};
  CHECK(reject(m).find("unspecified") != std::string::npos);

  m = base_map();
  m.filter.inbound[0].src = {pfx("8.8.8.8/32")};
  CHECK(reject(m).find("$.filter.inbound[0].src[0]") != std::string::npos);

  m = base_map();
  m.filter.inbound[1].ports = {{1, 2}};  // ICMP with ports
  CHECK(reject(m).find("$.filter.inbound[1].proto[0]") != std::string::npos);

  m = base_map();
  m.filter.inbound[0].proto = {};
  CHECK(reject(m).find("without a protocol") != std::string::npos);

  m = base_map();
  m.filter.inbound[0].src = {};
  CHECK(reject(m).find("empty source") != std::string::npos);

  m = base_map();
  m.self.addresses = {ward::net::InterfaceAddress::parse("10.0.0.1/32").value()};
  CHECK(reject(m).find("$.self.addresses[0]") != std::string::npos);

  m = base_map();
  ValidateLimits lim;
  lim.max_peers = 1;
  CHECK_FALSE(validate_netmap(m, kOwn, lim));
}

TEST_CASE("validate: nested allowed IPs of one peer are fine, disjoint neighbours too", "[unit]") {
  auto m = base_map();
  m.peers[0].allowed_ips = {pfx("100.64.1.0/24"), pfx("100.64.1.128/25"), pfx("100.64.2.0/24")};
  m.peers[1].allowed_ips = {pfx("100.64.3.0/24"), pfx("100.64.0.128/25")};
  CHECK(validate_netmap(m, kOwn));
  // A later wide prefix of another peer still collides with a nested one seen earlier.
  m.peers[1].allowed_ips = {pfx("100.64.1.192/26")};
  CHECK_FALSE(validate_netmap(m, kOwn));
}

TEST_CASE("validate: overlap detection agrees with a naive pairwise check", "[unit]") {
  // Differential: random small prefixes in a /24, assigned to 3 peers.
  std::uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 8); };
  for (int round = 0; round < 300; ++round) {
    Netmap m = base_map();
    m.peers = {peer(1, {}), peer(2, {}), peer(3, {})};
    for (int i = 0; i < 5; ++i) {
      const int bits = 26 + static_cast<int>(rnd() % 7);  // 26..32
      const auto addr = ward::net::IpAddress::v4(0x64400100u + (rnd() % 256));
      m.peers[rnd() % 3].allowed_ips.push_back(ward::net::Prefix::make(addr, bits).value());
    }
    bool naive_overlap = false;
    for (std::size_t a = 0; a < 3; ++a)
      for (std::size_t b = a + 1; b < 3; ++b)
        for (const auto& x : m.peers[a].allowed_ips)
          for (const auto& y : m.peers[b].allowed_ips)
            naive_overlap |= x.overlaps(y);
    INFO("round " << round);
    CHECK(static_cast<bool>(validate_netmap(m, kOwn)) == !naive_overlap);
  }
}

TEST_CASE("apply_delta: serials, upsert, remove", "[unit]") {
  const Netmap base = base_map();
  Delta d;
  d.base_serial = 10;
  d.serial = 11;
  Peer changed = base.peers[0];
  changed.endpoints = {ep("198.51.100.1:4000")};
  d.peers_upsert = {changed, peer(3, {pfx("100.64.0.4/32")})};
  d.peers_remove = {key_n(2)};
  d.filter = FilterRules{};
  auto r = apply_delta(base, d, kOwn);
  REQUIRE(r);
  CHECK(r->serial == 11);
  REQUIRE(r->peers.size() == 2);
  CHECK(r->peers[0].public_key == key_n(1));
  CHECK(r->peers[0].endpoints[0].to_string() == "198.51.100.1:4000");
  CHECK(r->peers[1].public_key == key_n(3));
  CHECK(r->filter.inbound.empty());
  CHECK(r->self == base.self);

  Delta wrong_base = d;
  wrong_base.base_serial = 9;
  CHECK_FALSE(apply_delta(base, wrong_base, kOwn));
  Delta not_increasing = d;
  not_increasing.serial = 10;
  CHECK_FALSE(apply_delta(base, not_increasing, kOwn));
  Delta unknown_remove = d;
  unknown_remove.peers_remove = {key_n(77)};
  CHECK_FALSE(apply_delta(base, unknown_remove, kOwn));
  Delta makes_overlap = d;
  makes_overlap.peers_upsert = {peer(4, {pfx("100.64.0.2/32")})};
  makes_overlap.peers_remove = {};
  auto bad = apply_delta(base, makes_overlap, kOwn);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("overlaps") != std::string::npos);
}
