#include "node/reconcile/reconciler.hpp"

#include <catch2/catch.hpp>

#include "node/reconcile/fake_backends.hpp"
#include "node/reconcile/test_util.hpp"

using namespace ward::node;
using namespace ward::node::testing;

namespace {

struct Rig {
  FakeWireGuard wg;
  FakeAddresses addrs;
  FakeRoutes routes;
  FakeFilter filter;
  Reconciler rec{Backends{&wg, &addrs, &routes, &filter}};

  std::size_t mutations() const { return mutation_count(wg, addrs, routes, filter); }
  void clear_calls() {
    wg.applied.clear();
    addrs.calls.clear();
    routes.calls.clear();
    filter.applied.clear();
    filter.remove_calls = 0;
  }
};

DesiredState desired(std::initializer_list<unsigned> peers) {
  return desired_from_netmap(sample_map(peers), priv_key(7), 51820);
}

const WgPeerState* find_peer(const WgState& s, unsigned n) {
  for (const auto& p : s.peers)
    if (p.public_key == key_n(n)) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("reconciler: first apply configures everything, second makes zero calls", "[unit]") {
  Rig rig;
  auto d = desired({2, 3});
  REQUIRE(rig.rec.apply(d));
  CHECK(rig.wg.applied.size() == 1);
  CHECK(rig.wg.state.peers.size() == 2);
  CHECK(rig.wg.state.listen_port == 51820);
  CHECK(rig.addrs.up);
  CHECK(rig.addrs.addresses.size() == 2);
  CHECK(rig.routes.routes.size() == 2);
  REQUIRE(rig.filter.current.has_value());
  CHECK(*rig.filter.current == d.filter);
  CHECK(rig.mutations() > 0);

  rig.clear_calls();
  REQUIRE(rig.rec.apply(d));
  CHECK(rig.mutations() == 0);
  CHECK(rig.wg.get_calls == 2);  // reads are fine
}

TEST_CASE("reconciler: no flap — changed endpoint or allowed IPs update in place", "[unit]") {
  Rig rig;
  REQUIRE(rig.rec.apply(desired({2, 3})));
  // Live counters a real device would have; an in-place update keeps them.
  for (auto& p : rig.wg.state.peers)
    p.rx_bytes = 999;
  rig.clear_calls();

  auto m = sample_map({2, 3});
  m.peers[0].endpoints = {ep("198.51.100.2:4444")};
  m.peers[1].allowed_ips.push_back(pfx("fd7a:115c:a1e0::3/128"));
  REQUIRE(rig.rec.apply(desired_from_netmap(m, priv_key(7), 51820)));

  REQUIRE(rig.wg.applied.size() == 1);
  const WgChange& c = rig.wg.applied[0];
  CHECK_FALSE(c.replace_peers);
  REQUIRE(c.peers.size() == 2);
  for (const auto& p : c.peers) {
    CHECK_FALSE(p.remove);
    CHECK(p.update_only);
  }
  CHECK(find_peer(rig.wg.state, 2)->endpoint == ep("198.51.100.2:4444"));
  CHECK(find_peer(rig.wg.state, 2)->rx_bytes == 999);
  CHECK(find_peer(rig.wg.state, 3)->allowed_ips.size() == 2);
  CHECK(find_peer(rig.wg.state, 3)->rx_bytes == 999);
  // Nothing but WireGuard changed.
  CHECK(rig.filter.applied.empty());
  CHECK(rig.addrs.calls.empty());
  CHECK(rig.routes.calls.empty());
}

TEST_CASE("reconciler: vanished peers are removed, others untouched", "[unit]") {
  Rig rig;
  REQUIRE(rig.rec.apply(desired({2, 3, 4})));
  rig.clear_calls();
  REQUIRE(rig.rec.apply(desired({2, 4})));
  REQUIRE(rig.wg.applied.size() == 1);
  REQUIRE(rig.wg.applied[0].peers.size() == 1);
  CHECK(rig.wg.applied[0].peers[0].public_key == key_n(3));
  CHECK(rig.wg.applied[0].peers[0].remove);
  CHECK(rig.wg.state.peers.size() == 2);
  CHECK(find_peer(rig.wg.state, 3) == nullptr);
}

TEST_CASE("reconciler: stray addresses and Ward routes are removed", "[unit]") {
  Rig rig;
  rig.addrs.addresses = {ifa("100.64.0.99/32"), ifa("fe80::1/64")};
  rig.addrs.up = true;
  rig.routes.routes = {pfx("100.64.0.0/10"), pfx("100.100.0.0/16")};
  REQUIRE(rig.rec.apply(desired({2})));
  CHECK(std::find(rig.addrs.calls.begin(), rig.addrs.calls.end(), "remove 100.64.0.99/32") !=
        rig.addrs.calls.end());
  CHECK(std::find(rig.addrs.calls.begin(), rig.addrs.calls.end(), "up") == rig.addrs.calls.end());
  CHECK(rig.addrs.addresses.size() == 3);  // two desired + link-local kept
  CHECK(rig.routes.calls ==
        std::vector<std::string>{"remove 100.100.0.0/16", "add fd7a:115c:a1e0::/48"});
}

TEST_CASE("reconciler: a changed filter is applied once, whole", "[unit]") {
  Rig rig;
  REQUIRE(rig.rec.apply(desired({2})));
  rig.clear_calls();
  auto m = sample_map({2});
  m.filter.inbound.push_back(FilterRule{{pfx("100.64.0.2/32")}, {17}, {{53, 53}}});
  auto d = desired_from_netmap(m, priv_key(7), 51820);
  REQUIRE(rig.rec.apply(d));
  REQUIRE(rig.filter.applied.size() == 1);
  CHECK(rig.filter.applied[0] == m.filter);
  CHECK(rig.wg.applied.empty());
}

TEST_CASE("reconciler: a failing filter is retried, other steps still run", "[unit]") {
  Rig rig;
  rig.filter.fail_next_apply = ward::Error::io("nft said no");
  auto d = desired({2});
  auto s = rig.rec.apply(d);
  REQUIRE_FALSE(s);
  CHECK(s.error().message().find("nft said no") != std::string::npos);
  CHECK_FALSE(rig.rec.applied_filter().has_value());
  CHECK(rig.wg.state.peers.size() == 1);
  rig.clear_calls();
  REQUIRE(rig.rec.apply(d));
  CHECK(rig.filter.applied.size() == 1);
  CHECK(rig.wg.applied.empty());
}

TEST_CASE("reconciler: a failing WireGuard apply is retried from re-read state", "[unit]") {
  Rig rig;
  rig.wg.fail_next_apply = ward::Error::unavailable("socket gone");
  auto d = desired({2, 3});
  CHECK_FALSE(rig.rec.apply(d));
  CHECK(rig.wg.state.peers.empty());
  REQUIRE(rig.rec.apply(d));
  CHECK(rig.wg.state.peers.size() == 2);
}

TEST_CASE("reconciler: drop_all empties the filter first and removes every peer", "[unit]") {
  Rig rig;
  REQUIRE(rig.rec.apply(desired({2, 3, 4})));
  rig.clear_calls();
  REQUIRE(rig.rec.drop_all());
  REQUIRE(rig.filter.applied.size() == 1);
  CHECK(rig.filter.applied[0].inbound.empty());
  CHECK(rig.filter.current->inbound.empty());
  REQUIRE(rig.wg.applied.size() == 1);
  CHECK(rig.wg.applied[0].replace_peers);
  CHECK(rig.wg.applied[0].peers.empty());
  CHECK(rig.wg.state.peers.empty());
  // The device keeps its key and port.
  CHECK(rig.wg.state.listen_port == 51820);

  // Even if the filter cannot be changed, the peers still go.
  Rig rig2;
  REQUIRE(rig2.rec.apply(desired({2})));
  rig2.filter.fail_next_apply = ward::Error::io("nft broken");
  CHECK_FALSE(rig2.rec.drop_all());
  CHECK(rig2.wg.state.peers.empty());
}

TEST_CASE("reconciler: allowed IP moving between peers", "[unit]") {
  Rig rig;
  REQUIRE(rig.rec.apply(desired({2, 3})));
  auto m = sample_map({3, 5});
  m.peers[1].allowed_ips = {pfx("100.64.0.2/32")};  // peer 5 takes peer 2's address
  REQUIRE(rig.rec.apply(desired_from_netmap(m, priv_key(7), 51820)));
  CHECK(find_peer(rig.wg.state, 2) == nullptr);
  REQUIRE(find_peer(rig.wg.state, 5));
  CHECK(find_peer(rig.wg.state, 5)->allowed_ips ==
        std::vector<ward::net::Prefix>{pfx("100.64.0.2/32")});
  rig.clear_calls();
  REQUIRE(rig.rec.apply(desired_from_netmap(m, priv_key(7), 51820)));
  CHECK(rig.mutations() == 0);
}
