// Integration: Ward's nftables table in a namespace of our own, with real traffic.
//
//   [ netns wardfa<pid> ]  vfa<pid> 192.0.2.1  <--veth-->  192.0.2.2 vfb<pid>  [ netns wardfb<pid>
//   ]
//     Ward filter on vfa (standing in for the tunnel interface)       client: nc, ping
//     + a foreign table "inet other" that must stay untouched
#include <array>
#include <cstdio>
#include <fcntl.h>
#include <netinet/in.h>
#include <optional>
#include <sched.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/filter/nft_backend.hpp"

using namespace ward::node;
using namespace ward::node::filter;

namespace {

std::string run(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  const int st = ::pclose(p);
  if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// Runs f on a thread that has entered network namespace ns; returns its result.
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

struct Topology {
  std::string tag = std::to_string(::getpid() % 100000);
  std::string a = "wardfa" + tag, b = "wardfb" + tag;
  std::string va = "vfa" + tag, vb = "vfb" + tag;
  std::string host_before = run("nft list ruleset");
  Topology() {
    run("ip netns add " + a);
    run("ip netns add " + b);
    run("ip link add " + va + " netns " + a + " type veth peer name " + vb + " netns " + b);
    run("ip -n " + a + " addr add 192.0.2.1/24 dev " + va);
    run("ip -n " + b + " addr add 192.0.2.2/24 dev " + vb);
    run("ip -n " + a + " link set " + va + " up");
    run("ip -n " + b + " link set " + vb + " up");
    run("ip -n " + a + " link set lo up");
    run("ip netns exec " + a +
        " nft 'add table inet other; add chain inet other c { type filter hook input priority "
        "10; policy accept; }; add rule inet other c meta mark 42 accept'");
  }
  ~Topology() {
    run("ip netns del " + a);
    run("ip netns del " + b);
  }
  std::string ns_a(const std::string& cmd) { return run("ip netns exec " + a + " " + cmd); }
  bool b_can(const std::string& cmd) {
    int rc = -1;
    run("ip netns exec " + b + " " + cmd, &rc);
    return rc == 0;
  }
  bool tcp_ok(int port) { return b_can("nc -z -w 1 192.0.2.1 " + std::to_string(port)); }
  bool ping_ok() { return b_can("ping -c 1 -W 1 192.0.2.1"); }
};

int listen_tcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

}  // namespace

TEST_CASE("nft integration: apply, read back, traffic, update, remove", "[integration]") {
  Topology topo;
  const std::string other_before = topo.ns_a("nft list table inet other");
  REQUIRE_FALSE(other_before.empty());

  // Listeners inside A (sockets belong to the namespace they are created in).
  auto fds = in_netns(topo.a, [] { return std::pair{listen_tcp(8080), listen_tcp(8081)}; });
  REQUIRE(fds.first >= 0);
  REQUIRE(fds.second >= 0);
  struct Closer {
    std::pair<int, int> f;
    ~Closer() {
      ::close(f.first);
      ::close(f.second);
    }
  } closer{fds};

  // Without Ward's table everything passes.
  CHECK(topo.tcp_ok(8081));
  CHECK(topo.ping_ok());

  NftFilterBackend backend(topo.va);
  FilterRules rules;
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8080}}},
                   FilterRule{{pfx("192.0.2.2/32")}, {1}, {}}};
  REQUIRE(in_netns(topo.a, [&] { return backend.apply(rules); }));

  // Read back as JSON with the nft tool.
  auto listing = nlohmann::json::parse(topo.ns_a("nft -j list table inet ward_" + topo.va));
  int base_chains = 0;
  int ward_in_rules = 0;
  for (const auto& item : listing["nftables"]) {
    if (item.contains("chain") && item["chain"].contains("hook")) ++base_chains;
    if (item.contains("rule") && item["rule"]["chain"] == "ward_in") ++ward_in_rules;
  }
  CHECK(base_chains == 2);
  CHECK(ward_in_rules == 5);  // established, invalid, 2 accepts, default drop

  CHECK(topo.tcp_ok(8080));
  CHECK_FALSE(topo.tcp_ok(8081));  // allowed peer, blocked port: dropped
  CHECK(topo.ping_ok());
  auto st = in_netns(topo.a, [&] { return backend.stats(); });
  REQUIRE(st);
  CHECK(st->accept_rules == 2);
  CHECK(st->dropped_packets >= 1);

  // Update: ICMP no longer allowed; 8081 now is. Applying twice is fine.
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8081}}}};
  REQUIRE(in_netns(topo.a, [&] { return backend.apply(rules); }));
  REQUIRE(in_netns(topo.a, [&] { return backend.apply(rules); }));
  CHECK(topo.tcp_ok(8081));
  CHECK_FALSE(topo.ping_ok());
  st = in_netns(topo.a, [&] { return backend.stats(); });
  REQUIRE(st);
  CHECK(st->accept_rules == 1);
  CHECK(st->dropped_packets >= 1);  // the ping, counted

  // Empty rules (drop-all): nothing new passes.
  REQUIRE(in_netns(topo.a, [&] { return backend.apply(FilterRules{}); }));
  CHECK_FALSE(topo.tcp_ok(8080));

  // Remove: gone, idempotent, traffic flows again.
  REQUIRE(in_netns(topo.a, [&] { return backend.remove(); }));
  REQUIRE(in_netns(topo.a, [&] { return backend.remove(); }));
  int rc = 0;
  run("ip netns exec " + topo.a + " nft list table inet ward_" + topo.va, &rc);
  CHECK(rc != 0);
  auto gone = in_netns(topo.a, [&] { return backend.stats(); });
  REQUIRE_FALSE(gone);
  CHECK(topo.tcp_ok(8081));

  // Nothing else changed: the foreign table in A and the host's ruleset.
  CHECK(topo.ns_a("nft list table inet other") == other_before);
  CHECK(run("nft list ruleset") == topo.host_before);
}

TEST_CASE("nft integration: a failing update keeps the previous ruleset", "[integration]") {
  Topology topo;
  NftFilterBackend backend(topo.va);
  FilterRules rules;
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8080}}}};
  REQUIRE(in_netns(topo.a, [&] { return backend.apply(rules); }));
  const std::string before = topo.ns_a("nft list table inet ward_" + topo.va);
  // A script nft rejects half-way must not leave a flushed table behind.
  auto bad = in_netns(topo.a, [&] {
    return run_nft("table inet ward_" + topo.va + " {\n}\nflush table inet ward_" + topo.va +
                   "\nadd rule inet ward_" + topo.va + " ward_in meta nosuchthing 1 accept\n");
  });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("nft:") != std::string::npos);
  CHECK(topo.ns_a("nft list table inet ward_" + topo.va) == before);
}
