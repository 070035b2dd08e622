#include "controller/publish/wire.hpp"

#include <catch2/catch.hpp>

#include "controller/publish/test_support.hpp"

namespace ward::publish {
namespace {

using namespace testing;

std::shared_ptr<const policy::SourceList> sources(std::vector<std::string> v) {
  auto s = std::make_shared<policy::SourceList>();
  for (const std::string& p : v)
    s->prefixes.push_back(*net::Prefix::parse(p));
  std::sort(s->prefixes.begin(), s->prefixes.end());
  policy::finish_source_list(*s);
  return s;
}

policy::FilterRule rule(std::shared_ptr<const policy::SourceList> src, policy::PortSet ports,
                        std::vector<int> protos) {
  policy::FilterRule r;
  r.src = std::move(src);
  r.ports = std::move(ports);
  for (int p : protos)
    r.protos.set(static_cast<std::size_t>(p));
  return r;
}

TEST_CASE("wire filter: port protocols keep ports, others get ports []", "[unit]") {
  auto src = sources({"100.64.0.7/32"});
  // Default protocols (tcp, udp, icmp, icmpv6) to port 443.
  WireFilter f = wire_filter({rule(src, {{443, 443}}, {1, 6, 17, 58})});
  REQUIRE(f.size() == 2);
  CHECK(f[0].proto == std::vector<std::uint8_t>{1, 58});
  CHECK(f[0].ports.empty());
  CHECK(f[1].proto == std::vector<std::uint8_t>{6, 17});
  CHECK(f[1].ports == policy::PortSet{{443, 443}});
}

TEST_CASE("wire filter: every port is one rule with ports []; port 0 is dropped", "[unit]") {
  auto src = sources({"100.64.0.7/32"});
  WireFilter all = wire_filter({rule(src, {{0, 65535}}, {1, 6, 17, 58})});
  REQUIRE(all.size() == 1);
  CHECK(all[0].proto == std::vector<std::uint8_t>{1, 6, 17, 58});
  CHECK(all[0].ports.empty());
  WireFilter low = wire_filter({rule(src, {{0, 22}}, {6})});
  REQUIRE(low.size() == 1);
  CHECK(low[0].ports == policy::PortSet{{1, 22}});
  // Only port 0: nothing the node can express; never "any port".
  CHECK(wire_filter({rule(src, {{0, 0}}, {6})}).empty());
  // No protocol at all: nothing (an empty proto list would mean any protocol).
  CHECK(wire_filter({rule(src, {{443, 443}}, {})}).empty());
  // No sources: nothing.
  CHECK(wire_filter({rule(sources({}), {{443, 443}}, {6})}).empty());
  // DCCP (33) has no ports in policy semantics: all of it.
  WireFilter dccp = wire_filter({rule(src, {{443, 443}}, {33})});
  REQUIRE(dccp.size() == 1);
  CHECK(dccp[0].ports.empty());
}

TEST_CASE("wire filter: canonical order, duplicates merged, rule order irrelevant", "[unit]") {
  auto a = sources({"100.64.0.7/32"});
  auto b = sources({"100.64.0.2/32", "100.64.0.9/32"});
  auto b2 = sources({"100.64.0.2/32", "100.64.0.9/32"});  // equal content, other object
  WireFilter x = wire_filter({rule(a, {{22, 22}}, {6}), rule(b, {{443, 443}}, {6})});
  WireFilter y = wire_filter(
      {rule(b2, {{443, 443}}, {6}), rule(a, {{22, 22}}, {6}), rule(a, {{22, 22}}, {6})});
  CHECK(same_wire_filter(x, y));
  REQUIRE(x.size() == 2);
  CHECK(x[0].src->prefixes.front().to_string() == "100.64.0.2/32");
  CHECK_FALSE(same_wire_filter(x, wire_filter({rule(a, {{22, 23}}, {6})})));
}

TEST_CASE("endpoints: only what the node's decoder accepts", "[unit]") {
  CHECK(valid_endpoint("192.0.2.10:51820"));
  CHECK(valid_endpoint("[2001:db8::1]:1"));
  CHECK_FALSE(valid_endpoint("192.0.2.10"));
  CHECK_FALSE(valid_endpoint("192.0.2.10:0"));
  CHECK_FALSE(valid_endpoint("192.0.2.10:65536"));
  CHECK_FALSE(valid_endpoint("192.0.2.10:051820"));
  CHECK_FALSE(valid_endpoint("2001:db8::1:51820"));
  CHECK_FALSE(valid_endpoint("[192.0.2.1]:51820"));
  CHECK_FALSE(valid_endpoint("host.example:51820"));
  CHECK_FALSE(valid_endpoint("0.0.0.0:51820"));
  CHECK_FALSE(valid_endpoint("[::]:51820"));
  CHECK_FALSE(valid_endpoint(""));
}

TEST_CASE("render: netmap known answer, decoded by the node", "[unit]") {
  policy::Inventory inv;
  inv.users = {{"a@h.org", "member", {}}};
  policy::Device srv = device(1, "", {"tag:srv"});
  policy::Device lap = device(2, "a@h.org");
  lap.endpoints = {"192.0.2.3:51820", "bogus", "[2001:db8::3]:41641"};
  inv.devices = {srv, lap};
  auto pub = make_publisher(policy_text(R"({
    "tagOwners": {"tag:srv": ["a@h.org"]},
    "acls": [{"action": "accept", "src": ["a@h.org"], "dst": ["tag:srv:443,8000-8010"]}],
  })"),
                            inv, 41);
  auto nm = pub->compiler().netmap("d1");
  REQUIRE(nm);
  std::string line = render_netmap(*nm, wire_filter(nm->filters), 42, overlay());
  CHECK(
      line ==
      R"({"type":"netmap","serial":42,"self":{"id":"d1","name":"n1","user":null,"tags":["tag:srv"],)"
      R"("addresses":["100.64.0.2/32","fd7a:115c:a1e0::2/128"]},)"
      R"("overlay":{"v4":"100.64.0.0/10","v6":"fd7a:115c:a1e0::/48"},)"
      R"("peers":[{"id":"d2","name":"n2","public_key":")" +
          test_key(2) +
          R"(","allowed_ips":["100.64.0.3/32","fd7a:115c:a1e0::3/128"],)"
          R"("endpoints":["192.0.2.3:51820","[2001:db8::3]:41641"],"persistent_keepalive":25}],)"
          R"("filter":{"inbound":[)"
          R"({"src":["100.64.0.3/32","fd7a:115c:a1e0::3/128"],"proto":[1,58],"ports":[]},)"
          R"({"src":["100.64.0.3/32","fd7a:115c:a1e0::3/128"],"proto":[6,17],"ports":[[443,443],[8000,8010]]}]}})"
          "\n");
  auto msg = node::decode_stream_message(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(msg);
  auto& m = std::get<node::Netmap>(*msg);
  CHECK(m.serial == 42);
  CHECK_FALSE(m.self.user);
  REQUIRE(node::validate_netmap(m, *node::WgKey::from_base64(test_key(1))));
  // The laptop's own map: a user, no inbound rule, the server as its peer.
  auto lm = pub->compiler().netmap("d2");
  std::string l2 = render_netmap(*lm, wire_filter(lm->filters), 7, overlay());
  CHECK(l2.find(R"("user":"a@h.org")") != std::string::npos);
  CHECK(l2.find(R"("filter":{"inbound":[]})") != std::string::npos);
}

TEST_CASE("render: keepalive and terminal messages", "[unit]") {
  CHECK(render_keepalive(42) == "{\"type\":\"keepalive\",\"serial\":42}\n");
  CHECK(render_terminal(Terminal::kRevoked, "by admin") ==
        "{\"type\":\"revoked\",\"reason\":\"by admin\"}\n");
  CHECK(render_terminal(Terminal::kQuarantined, "x").find("\"quarantined\"") != std::string::npos);
  CHECK(render_terminal(Terminal::kExpired, "x").find("\"expired\"") != std::string::npos);
  // Reasons are bounded and escaped.
  std::string long_reason(1000, '"');
  std::string t = render_terminal(Terminal::kRevoked, long_reason);
  CHECK(t.size() < 500);
  auto msg = node::decode_stream_message(std::string_view(t).substr(0, t.size() - 1));
  REQUIRE(msg);
  CHECK(std::get<node::Terminal>(*msg).kind == node::TerminalKind::kRevoked);
}

}  // namespace
}  // namespace ward::publish
