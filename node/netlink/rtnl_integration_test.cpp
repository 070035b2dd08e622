// Integration: rtnetlink addresses, link state and routes on a veth interface in a
// network namespace of our own, verified with `ip -j`. Also checks that the kernel
// backend reports a missing WireGuard module cleanly (this host has none).
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/netlink/kernel_backend.hpp"
#include "node/netlink/rtnl.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/require.hpp"

using namespace ward::node;
using namespace ward::node::netlink;
using nlohmann::json;

namespace {

// One namespace (removed with everything in it by the Topology, also on failure) holding
// a veth pair d0/d0p, down and unaddressed: this kernel has no dummy driver.
struct NsGuard {
  ward::testing::Topology topo{"wardnl"};
  ward::testing::Netns* ns = nullptr;
  std::string dev = "d0";
  NsGuard() {
    ns = ward::testing::required(topo.add_namespace("a"));
    REQUIRE(ns->exec("ip link add " + dev + " type veth peer name " + dev + "p").ok());
  }
  json ip_j(const std::string& args) {
    auto out = ns->exec("ip -j " + args).output;
    return json::parse(out.empty() ? "[]" : out);
  }
  std::set<std::string> addrs() {
    std::set<std::string> s;
    for (const auto& link : ip_j("addr show dev " + dev))
      for (const auto& a : link["addr_info"])
        s.insert(a["local"].get<std::string>() + "/" + std::to_string(a["prefixlen"].get<int>()));
    return s;
  }
  std::set<std::string> routes(const std::string& fam) {
    std::set<std::string> s;
    for (const auto& r : ip_j(fam + " route show dev " + dev)) {
      std::string proto = r.contains("protocol") ? r["protocol"].dump() : "";
      s.insert(r["dst"].get<std::string>() + " " + proto);
    }
    return s;
  }
};

ward::net::InterfaceAddress ifa(const char* s) {
  return ward::net::InterfaceAddress::parse(s).value();
}
ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

}  // namespace

TEST_CASE("rtnl integration: link up, addresses, routes on an interface", "[integration]") {
  NsGuard g;
  RtnlAddressBackend addrs(g.dev);
  RtnlRouteBackend routes(g.dev);

  auto up = g.ns->call([&] { return addrs.is_up(); });
  INFO((up ? std::string("ok") : up.error().to_string()));
  REQUIRE(up);
  CHECK_FALSE(*up);
  REQUIRE(g.ns->call([&] { return addrs.set_up(); }));
  CHECK(g.ns->call([&] { return addrs.is_up(); }).value());
  auto link = g.ip_j("link show dev " + g.dev);
  REQUIRE(link.size() == 1);
  bool has_up = false;
  for (const auto& f : link[0]["flags"])
    has_up = has_up || f == "UP";
  CHECK(has_up);
  // An address and a route somebody else owns on the same interface: never touched. (The
  // address also keeps the kernel from flushing the interface's IPv4 routes when our last
  // IPv4 address goes.)
  REQUIRE(g.ns->exec("ip addr add 10.8.0.1/24 dev " + g.dev).ok());
  REQUIRE(g.ns->exec("ip route add 10.9.0.0/16 dev " + g.dev).ok());

  // Addresses: add (twice: idempotent), list, remove (twice: idempotent).
  for (int i = 0; i < 2; ++i) {
    REQUIRE(g.ns->call([&] { return addrs.add(ifa("100.64.0.5/32")); }));
    REQUIRE(g.ns->call([&] { return addrs.add(ifa("fd7a:115c:a1e0::5/128")); }));
  }
  auto have = g.addrs();
  CHECK(have.count("100.64.0.5/32"));
  CHECK(have.count("fd7a:115c:a1e0::5/128"));
  auto listed = g.ns->call([&] { return addrs.list(); });
  REQUIRE(listed);
  std::set<ward::net::InterfaceAddress> listed_set(listed->begin(), listed->end());
  CHECK(listed_set.count(ifa("100.64.0.5/32")));
  CHECK(listed_set.count(ifa("fd7a:115c:a1e0::5/128")));

  // Routes: ours are tagged and listed; the foreign one is not.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(g.ns->call([&] { return routes.add(pfx("100.64.0.0/10")); }));
    REQUIRE(g.ns->call([&] { return routes.add(pfx("fd7a:115c:a1e0::/48")); }));
  }
  auto v4 = g.routes("-4");
  CHECK(v4.count("100.64.0.0/10 \"87\""));
  CHECK(v4.count("10.9.0.0/16 "));
  CHECK(g.routes("-6").count("fd7a:115c:a1e0::/48 \"87\""));
  auto ours = g.ns->call([&] { return routes.list(); });
  REQUIRE(ours);
  std::set<ward::net::Prefix> ours_set(ours->begin(), ours->end());
  CHECK(ours_set == std::set{pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")});

  for (int i = 0; i < 2; ++i) {
    REQUIRE(g.ns->call([&] { return routes.remove(pfx("100.64.0.0/10")); }));
    REQUIRE(g.ns->call([&] { return addrs.remove(ifa("100.64.0.5/32")); }));
  }
  CHECK_FALSE(g.routes("-4").count("100.64.0.0/10 \"87\""));
  CHECK(g.routes("-4").count("10.9.0.0/16 "));  // untouched
  CHECK_FALSE(g.addrs().count("100.64.0.5/32"));
  CHECK(g.addrs().count("10.8.0.1/24"));
  CHECK(g.addrs().count("fd7a:115c:a1e0::5/128"));

  // A missing interface is not_found, not a crash.
  RtnlAddressBackend none("nosuch0");
  auto missing = g.ns->call([&] { return none.list(); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ward::ErrorCode::kNotFound);
}

TEST_CASE("kernel backend: no WireGuard module is reported cleanly", "[integration]") {
  if (kernel_has_wireguard()) {
    WARN("this kernel has WireGuard; the not-found path is not exercised");
    return;
  }
  KernelWgBackend k("wg0");
  auto st = k.get();
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == ward::ErrorCode::kNotFound);
  CHECK_FALSE(k.apply(WgChange{.listen_port = 1}));
}
