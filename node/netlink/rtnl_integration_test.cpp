// Integration: rtnetlink addresses, link state and routes on a veth interface in a
// network namespace of our own, verified with `ip -j`. Also checks that the kernel
// backend reports a missing WireGuard module cleanly (this host has none).
#include <array>
#include <cstdio>
#include <fcntl.h>
#include <optional>
#include <sched.h>
#include <set>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/netlink/kernel_backend.hpp"
#include "node/netlink/rtnl.hpp"

using namespace ward::node;
using namespace ward::node::netlink;
using nlohmann::json;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

template <class F>
auto in_netns(const std::string& ns, F f) {
  std::optional<decltype(f())> result;
  std::thread t([&] {
    const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) std::abort();
    ::close(fd);
    result.emplace(f());
  });
  t.join();
  return std::move(*result);
}

struct NsGuard {
  std::string ns = "wardnl" + std::to_string(::getpid() % 100000);
  std::string dev = "d0";
  NsGuard() {
    run("ip netns add " + ns);
    // This kernel has no dummy driver; a veth end serves (its peer stays in the namespace).
    run("ip -n " + ns + " link add " + dev + " type veth peer name " + dev + "p");
  }
  ~NsGuard() { run("ip netns del " + ns); }
  json ip_j(const std::string& args) {
    auto out = run("ip -n " + ns + " -j " + args);
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

  auto up = in_netns(g.ns, [&] { return addrs.is_up(); });
  INFO((up ? std::string("ok") : up.error().to_string()));
  REQUIRE(up);
  CHECK_FALSE(*up);
  REQUIRE(in_netns(g.ns, [&] { return addrs.set_up(); }));
  CHECK(in_netns(g.ns, [&] { return addrs.is_up(); }).value());
  auto link = g.ip_j("link show dev " + g.dev);
  REQUIRE(link.size() == 1);
  bool has_up = false;
  for (const auto& f : link[0]["flags"])
    has_up = has_up || f == "UP";
  CHECK(has_up);
  // An address and a route somebody else owns on the same interface: never touched. (The
  // address also keeps the kernel from flushing the interface's IPv4 routes when our last
  // IPv4 address goes.)
  run("ip -n " + g.ns + " addr add 10.8.0.1/24 dev " + g.dev);
  run("ip -n " + g.ns + " route add 10.9.0.0/16 dev " + g.dev);

  // Addresses: add (twice: idempotent), list, remove (twice: idempotent).
  for (int i = 0; i < 2; ++i) {
    REQUIRE(in_netns(g.ns, [&] { return addrs.add(ifa("100.64.0.5/32")); }));
    REQUIRE(in_netns(g.ns, [&] { return addrs.add(ifa("fd7a:115c:a1e0::5/128")); }));
  }
  auto have = g.addrs();
  CHECK(have.count("100.64.0.5/32"));
  CHECK(have.count("fd7a:115c:a1e0::5/128"));
  auto listed = in_netns(g.ns, [&] { return addrs.list(); });
  REQUIRE(listed);
  std::set<ward::net::InterfaceAddress> listed_set(listed->begin(), listed->end());
  CHECK(listed_set.count(ifa("100.64.0.5/32")));
  CHECK(listed_set.count(ifa("fd7a:115c:a1e0::5/128")));

  // Routes: ours are tagged and listed; the foreign one is not.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(in_netns(g.ns, [&] { return routes.add(pfx("100.64.0.0/10")); }));
    REQUIRE(in_netns(g.ns, [&] { return routes.add(pfx("fd7a:115c:a1e0::/48")); }));
  }
  auto v4 = g.routes("-4");
  CHECK(v4.count("100.64.0.0/10 \"87\""));
  CHECK(v4.count("10.9.0.0/16 "));
  CHECK(g.routes("-6").count("fd7a:115c:a1e0::/48 \"87\""));
  auto ours = in_netns(g.ns, [&] { return routes.list(); });
  REQUIRE(ours);
  std::set<ward::net::Prefix> ours_set(ours->begin(), ours->end());
  CHECK(ours_set == std::set{pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")});

  for (int i = 0; i < 2; ++i) {
    REQUIRE(in_netns(g.ns, [&] { return routes.remove(pfx("100.64.0.0/10")); }));
    REQUIRE(in_netns(g.ns, [&] { return addrs.remove(ifa("100.64.0.5/32")); }));
  }
  CHECK_FALSE(g.routes("-4").count("100.64.0.0/10 \"87\""));
  CHECK(g.routes("-4").count("10.9.0.0/16 "));  // untouched
  CHECK_FALSE(g.addrs().count("100.64.0.5/32"));
  CHECK(g.addrs().count("10.8.0.1/24"));
  CHECK(g.addrs().count("fd7a:115c:a1e0::5/128"));

  // A missing interface is not_found, not a crash.
  RtnlAddressBackend none("nosuch0");
  auto missing = in_netns(g.ns, [&] { return none.list(); });
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
