// End to end on real backends: two nodes, each a network namespace with Debian's
// wireguard-go, driven by the Reconciler through UapiBackend, RtnlAddressBackend,
// RtnlRouteBackend and NftFilterBackend. Needs root.
//
//   [ warde-<pid>-0-a ]                                   [ warde-<pid>-1-b ]
//    wgea<tag> 100.64.0.1  ==== WireGuard over veth ====   wgeb<tag> 100.64.0.2
//    vea<tag> 192.0.2.1/24 <--------------------------->  veb<tag> 192.0.2.2/24
//   A admits from B: TCP 8080 and ICMP.   B admits from A: ICMP only.
//
// Namespaces, wireguard-go, sockets and the UAPI sockets are removed by the destructors,
// also when a REQUIRE fails midway.
#include <cstdio>
#include <optional>

#include <catch2/catch.hpp>

#include "node/filter/nft_backend.hpp"
#include "node/netlink/rtnl.hpp"
#include "node/reconcile/diff.hpp"
#include "node/reconcile/reconciler.hpp"
#include "node/uapi/client.hpp"
#include "node/uapi/supervisor.hpp"
#include "node/uapi/test_netns_runner.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/require.hpp"
#include "tests/support/wg_show.hpp"

using namespace ward::node;
using namespace std::chrono_literals;
using ward::testing::Netns;
using ward::testing::required;
using ward::testing::run_command;

namespace {

// Counts mutating calls that reach the real backends.
struct CountingWg final : WireGuardBackend {
  WireGuardBackend& inner;
  int applies = 0;
  explicit CountingWg(WireGuardBackend& i) : inner(i) {}
  ward::Result<WgState> get() override { return inner.get(); }
  ward::Status apply(const WgChange& c) override {
    ++applies;
    return inner.apply(c);
  }
};
struct CountingFilter final : FilterBackend {
  FilterBackend& inner;
  int applies = 0;
  explicit CountingFilter(FilterBackend& i) : inner(i) {}
  ward::Status apply(const FilterRules& r) override {
    ++applies;
    return inner.apply(r);
  }
  ward::Status remove() override { return inner.remove(); }
};
struct CountingAddrs final : AddressBackend {
  AddressBackend& inner;
  int mutations = 0;
  explicit CountingAddrs(AddressBackend& i) : inner(i) {}
  ward::Result<std::vector<ward::net::InterfaceAddress>> list() override { return inner.list(); }
  ward::Status add(const ward::net::InterfaceAddress& a) override {
    ++mutations;
    return inner.add(a);
  }
  ward::Status remove(const ward::net::InterfaceAddress& a) override {
    ++mutations;
    return inner.remove(a);
  }
  ward::Result<bool> is_up() override { return inner.is_up(); }
  ward::Status set_up() override {
    ++mutations;
    return inner.set_up();
  }
};
struct CountingRoutes final : RouteBackend {
  RouteBackend& inner;
  int mutations = 0;
  explicit CountingRoutes(RouteBackend& i) : inner(i) {}
  ward::Result<std::vector<ward::net::Prefix>> list() override { return inner.list(); }
  ward::Status add(const ward::net::Prefix& p) override {
    ++mutations;
    return inner.add(p);
  }
  ward::Status remove(const ward::net::Prefix& p) override {
    ++mutations;
    return inner.remove(p);
  }
};

ward::net::Prefix pfx(const std::string& s) {
  return ward::net::Prefix::parse(s).value();
}

struct Node {
  Netns& ns;
  std::string tag;
  std::string iface;
  std::string ip, overlay4, overlay6;
  std::string priv_b64, pub_b64;
  uapi::testing::NetnsRunner runner;
  uapi::WireGuardGoSupervisor sup;
  uapi::UapiBackend wg_real;
  netlink::RtnlAddressBackend addr_real;
  netlink::RtnlRouteBackend route_real;
  filter::NftFilterBackend filter_real;
  CountingWg wg{wg_real};
  CountingAddrs addrs{addr_real};
  CountingRoutes routes{route_real};
  CountingFilter filt{filter_real};
  Reconciler rec{Backends{&wg, &addrs, &routes, &filt}};

  Node(Netns& n, const std::string& t, int index, const std::string& short_tag)
      : ns(n),
        tag(t),
        iface("wge" + t + short_tag),
        ip("192.0.2." + std::to_string(index)),
        overlay4("100.64.0." + std::to_string(index)),
        overlay6("fd7a:115c:a1e0::" + std::to_string(index)),
        priv_b64(run_command("wg genkey").trimmed()),
        pub_b64(run_command("echo " + priv_b64 + " | wg pubkey").trimmed()),
        runner(ns),
        sup(iface, runner, uapi::testing::slow_start()),
        wg_real(uapi::UapiClient(uapi::socket_path_for(iface).value())),
        addr_real(iface),
        route_real(iface),
        filter_real(iface) {}
  ~Node() {
    (void)sup.stop();
    ns.kill_all();
    std::remove(("/var/run/wireguard/" + iface + ".sock").c_str());
  }

  WgKey pub() const { return WgKey::from_base64(pub_b64).value(); }
  ward::SecretBytes priv() const { return secret_from_base64(priv_b64, 32).value(); }
  ward::testing::ShellRunner shell() const {
    return [this](const std::string& c) { return ns.exec(c); };
  }
  int mutations() const { return wg.applies + filt.applies + addrs.mutations + routes.mutations; }
  ward::Status apply(const DesiredState& d) {
    return ns.call([&] { return rec.apply(d); });
  }
};

// Two nodes joined by a veth pair; the Topology (declared first) outlives them.
struct World {
  ward::testing::Topology topo{"warde"};
  std::optional<Node> a_, b_;
  World() {
    Netns* na = required(topo.add_namespace("a"));
    Netns* nb = required(topo.add_namespace("b"));
    a_.emplace(*na, "a", 1, topo.short_tag());
    b_.emplace(*nb, "b", 2, topo.short_tag());
    required(topo.link(*na, {"vea" + topo.short_tag(), a_->ip + "/24"}, *nb,
                       {"veb" + topo.short_tag(), b_->ip + "/24"}));
  }
  ~World() {
    b_.reset();
    a_.reset();
  }
};

Netmap map_for(const Node& self, const Node& peer, std::vector<FilterRule> inbound) {
  Netmap m;
  m.serial = 1;
  m.self.id = "dev_" + self.tag;
  m.self.addresses = {ward::net::InterfaceAddress::parse(self.overlay4 + "/32").value(),
                      ward::net::InterfaceAddress::parse(self.overlay6 + "/128").value()};
  m.overlay = {pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")};
  Peer p;
  p.id = "dev_" + peer.tag;
  p.public_key = peer.pub();
  p.allowed_ips = {pfx(peer.overlay4 + "/32"), pfx(peer.overlay6 + "/128")};
  p.endpoints = {Endpoint::parse(peer.ip + ":51820").value()};
  m.peers = {p};
  m.filter.inbound = std::move(inbound);
  return m;
}

}  // namespace

TEST_CASE("e2e: two nodes get exactly the tunnel and ports their netmaps give them",
          "[integration]") {
  World w;
  Node& a = *w.a_;
  Node& b = *w.b_;
  REQUIRE_FALSE(a.priv_b64.empty());
  REQUIRE(a.sup.check());
  REQUIRE(b.sup.check());

  const std::string b32 = b.overlay4 + "/32";
  const std::string a32 = a.overlay4 + "/32";
  auto map_a = map_for(
      a, b, {FilterRule{{pfx(b32)}, {6}, {{8080, 8080}}}, FilterRule{{pfx(b32)}, {1, 58}, {}}});
  auto map_b = map_for(b, a, {FilterRule{{pfx(a32)}, {1}, {}}});
  auto desired_a = desired_from_netmap(map_a, a.priv(), 51820);
  auto desired_b = desired_from_netmap(map_b, b.priv(), 51820);
  REQUIRE(a.apply(desired_a));
  REQUIRE(b.apply(desired_b));

  // wg show: A has exactly B, with the netmap's allowed IPs and endpoint.
  auto peers = required(ward::testing::wg_show_peers(a.shell(), a.iface));
  REQUIRE(peers.size() == 1);
  REQUIRE(peers.contains(b.pub_b64));
  CHECK(peers[b.pub_b64].endpoint == b.ip + ":51820");
  CHECK(peers[b.pub_b64].allowed_ips == std::vector<std::string>{b32, b.overlay6 + "/128"});

  const auto a8080 = required(a.ns.listen_tcp(8080));
  const auto a8081 = required(a.ns.listen_tcp(8081));
  const auto b8080 = required(b.ns.listen_tcp(8080));

  // Both directions of every claim.
  CHECK(b.ns.can_ping(a.overlay4, 2s));                     // A admits ICMP from B
  CHECK(b.ns.can_connect_tcp(a.overlay4, 8080, 2s));        // A admits TCP 8080 from B
  CHECK_FALSE(b.ns.can_connect_tcp(a.overlay4, 8081, 1s));  // blocked port on allowed peer
  CHECK(a.ns.can_ping(b.overlay4, 2s));                     // B admits ICMP from A
  CHECK_FALSE(a.ns.can_connect_tcp(b.overlay4, 8080, 1s));  // B admits no TCP from A
  auto stats_a = a.ns.call([&] { return a.filter_real.stats(); });
  REQUIRE(stats_a);
  CHECK(stats_a->dropped_packets >= 1);

  // Idempotent: applying the same state again reaches no backend mutation.
  const int before = a.mutations();
  REQUIRE(a.apply(desired_a));
  CHECK(a.mutations() == before);

  // Policy change on A (TCP 8080 no longer admitted): only the filter changes; the peer
  // is not re-created (its handshake time survives).
  const auto hs_before = a.wg_real.get().value().peers.at(0).last_handshake_sec;
  CHECK(hs_before > 0);
  map_a.filter.inbound = {FilterRule{{pfx(b32)}, {1, 58}, {}}};
  const int wg_before = a.wg.applies;
  const int filt_before = a.filt.applies;
  REQUIRE(a.apply(desired_from_netmap(map_a, a.priv(), 51820)));
  CHECK(a.wg.applies == wg_before);
  CHECK(a.filt.applies == filt_before + 1);
  CHECK(a.wg_real.get().value().peers.at(0).last_handshake_sec == hs_before);
  CHECK_FALSE(b.ns.can_connect_tcp(a.overlay4, 8080, 1s));
  CHECK(b.ns.can_ping(a.overlay4, 2s));

  // Revocation on A: every peer and every accept goes.
  REQUIRE(a.ns.call([&] { return a.rec.drop_all(); }));
  CHECK(required(ward::testing::wg_show_peers(a.shell(), a.iface)).empty());
  CHECK_FALSE(b.ns.can_ping(a.overlay4, 1s));
  auto after = a.ns.call([&] { return a.filter_real.stats(); });
  REQUIRE(after);
  CHECK(after->accept_rules == 0);

  // Teardown leaves no table behind.
  REQUIRE(a.ns.call([&] { return a.filter_real.remove(); }));
  CHECK_FALSE(a.ns.has_nft_table("inet", "ward_" + a.iface));
}
