// Integration: Ward's nftables table in a namespace of our own, with real traffic.
//
//   [ wardfi-<pid>-0-a ]  vfa<tag> 192.0.2.1  <--veth-->  192.0.2.2 vfb<tag>  [ wardfi-<pid>-1-b ]
//     Ward filter on vfa (standing in for the tunnel interface)      client: TCP and ping probes
//     + a foreign table "inet other" that must stay untouched
//
// Namespaces (with their interfaces and nftables tables) and sockets are removed by
// ward::testing::Topology / UniqueFd, also when a REQUIRE fails midway.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/filter/nft_backend.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/require.hpp"

using namespace ward::node;
using namespace ward::node::filter;
using namespace std::chrono_literals;
using ward::testing::Netns;
using ward::testing::required;
using ward::testing::run_command;

namespace {

struct Pair {
  ward::testing::Topology topo{"wardfi"};
  Netns* a = nullptr;
  Netns* b = nullptr;
  std::string va = "vfa" + topo.short_tag(), vb = "vfb" + topo.short_tag();
  std::string host_before = run_command("nft list ruleset").output;
  Pair() {
    a = required(topo.add_namespace("a"));
    b = required(topo.add_namespace("b"));
    required(topo.link(*a, {va, "192.0.2.1/24"}, *b, {vb, "192.0.2.2/24"}));
    REQUIRE(a->exec("nft 'add table inet other; add chain inet other c { type filter hook input "
                    "priority 10; policy accept; }; add rule inet other c meta mark 42 accept'")
                .ok());
  }
  std::string ward_table() const { return "ward_" + va; }
  bool tcp_ok(std::uint16_t port) const { return b->can_connect_tcp("192.0.2.1", port, 1s); }
  bool ping_ok() const { return b->can_ping("192.0.2.1", 1s); }
};

ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

}  // namespace

TEST_CASE("nft integration: apply, read back, traffic, update, remove", "[integration]") {
  Pair p;
  const std::string other_before = p.a->exec("nft list table inet other").output;
  REQUIRE_FALSE(other_before.empty());

  // Listeners inside A (sockets belong to the namespace they are created in).
  const auto l8080 = required(p.a->listen_tcp(8080));
  const auto l8081 = required(p.a->listen_tcp(8081));

  // Without Ward's table everything passes.
  CHECK(p.tcp_ok(8081));
  CHECK(p.ping_ok());

  NftFilterBackend backend(p.va);
  FilterRules rules;
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8080}}},
                   FilterRule{{pfx("192.0.2.2/32")}, {1}, {}}};
  REQUIRE(p.a->call([&] { return backend.apply(rules); }));

  // Read back as JSON with the nft tool.
  auto listing =
      nlohmann::json::parse(p.a->exec("nft -j list table inet " + p.ward_table()).output);
  int base_chains = 0;
  int ward_in_rules = 0;
  for (const auto& item : listing["nftables"]) {
    if (item.contains("chain") && item["chain"].contains("hook")) ++base_chains;
    if (item.contains("rule") && item["rule"]["chain"] == "ward_in") ++ward_in_rules;
  }
  CHECK(base_chains == 2);
  CHECK(ward_in_rules == 5);  // established, invalid, 2 accepts, default drop

  CHECK(p.tcp_ok(8080));
  CHECK_FALSE(p.tcp_ok(8081));  // allowed peer, blocked port: dropped
  CHECK(p.ping_ok());
  auto st = p.a->call([&] { return backend.stats(); });
  REQUIRE(st);
  CHECK(st->accept_rules == 2);
  CHECK(st->dropped_packets >= 1);

  // Update: ICMP no longer allowed; 8081 now is. Applying twice is fine.
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8081}}}};
  REQUIRE(p.a->call([&] { return backend.apply(rules); }));
  REQUIRE(p.a->call([&] { return backend.apply(rules); }));
  CHECK(p.tcp_ok(8081));
  CHECK_FALSE(p.ping_ok());
  st = p.a->call([&] { return backend.stats(); });
  REQUIRE(st);
  CHECK(st->accept_rules == 1);
  CHECK(st->dropped_packets >= 1);  // the ping, counted

  // Empty rules (drop-all): nothing new passes.
  REQUIRE(p.a->call([&] { return backend.apply(FilterRules{}); }));
  CHECK_FALSE(p.tcp_ok(8080));

  // Remove: gone, idempotent, traffic flows again.
  REQUIRE(p.a->call([&] { return backend.remove(); }));
  REQUIRE(p.a->call([&] { return backend.remove(); }));
  CHECK_FALSE(p.a->has_nft_table("inet", p.ward_table()));
  auto gone = p.a->call([&] { return backend.stats(); });
  REQUIRE_FALSE(gone);
  CHECK(p.tcp_ok(8081));

  // Nothing else changed: the foreign table in A and the host's ruleset.
  CHECK(p.a->exec("nft list table inet other").output == other_before);
  CHECK(run_command("nft list ruleset").output == p.host_before);
}

TEST_CASE("nft integration: a failing update keeps the previous ruleset", "[integration]") {
  Pair p;
  NftFilterBackend backend(p.va);
  FilterRules rules;
  rules.inbound = {FilterRule{{pfx("192.0.2.2/32")}, {6}, {{8080, 8080}}}};
  REQUIRE(p.a->call([&] { return backend.apply(rules); }));
  const std::string table = "inet " + p.ward_table();
  const std::string before = p.a->exec("nft list table " + table).output;
  // A script nft rejects half-way must not leave a flushed table behind.
  auto bad = p.a->call([&] {
    return run_nft("table " + table + " {\n}\nflush table " + table + "\nadd rule " + table +
                   " ward_in meta nosuchthing 1 accept\n");
  });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("nft:") != std::string::npos);
  CHECK(p.a->exec("nft list table " + table).output == before);
}
