#include "controller/policy/policy_parser.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "controller/policy/syntax.hpp"

namespace ward::policy {
namespace {

std::string error_of(std::string_view text) {
  auto r = parse_policy(text, "p.hujson");
  REQUIRE_FALSE(r.ok());
  return r.error().message();
}

ParsedPolicy parse_ok(std::string_view text) {
  auto r = parse_policy(text, "p.hujson");
  if (!r) FAIL(r.error().message());
  return std::move(*r);
}

TEST_CASE("the hospital example parses", "[unit]") {
  auto r = parse_policy_file(WARD_POLICY_TESTDATA "/hospital.hujson");
  REQUIRE(r.ok());
  const Policy& p = r->policy;
  CHECK(r->warnings.empty());
  REQUIRE(p.rules.size() == 5);
  CHECK(p.rules[0].ref() == "acls[0]");
  CHECK(p.rules[0].src_posture == std::vector<std::string>{"posture:managed"});
  CHECK(p.rules[0].dst[0].protos.count() == 1);
  CHECK(p.rules[0].dst[0].protos.test(kProtoTcp));
  CHECK(ports_to_string(p.rules[2].dst[0].ports) == "104,11112");
  CHECK(p.rules[2].dst[0].protos == default_protos());
  REQUIRE(p.rules[4].expires);
  CHECK(format_rfc3339(*p.rules[4].expires) == "2026-12-01T18:00:00Z");
  // Nested groups are flattened.
  CHECK(p.groups.at("group:staff").size() == 4);
  CHECK(p.hosts.at("ehr-vip").to_string() == "100.64.10.10/32");
  REQUIRE(p.tests.size() == 3);
  CHECK(p.tests[0].accept[0].port == 443);
  CHECK(p.tests[0].deny.size() == 2);
}

TEST_CASE("a Tailscale-style file loads with warnings for unimplemented sections", "[unit]") {
  auto r = parse_policy_file(WARD_POLICY_TESTDATA "/tailscale_style.hujson");
  REQUIRE(r.ok());
  std::vector<std::string> expected_mentions = {"\"ssh\"",
                                                "\"nodeAttrs\"",
                                                "\"autoApprovers\"",
                                                "\"derpMap\"",
                                                "\"randomizeClientPort\"",
                                                "(\"app\")",
                                                "grants[1] has no \"ip\""};
  REQUIRE(r->warnings.size() == expected_mentions.size());
  for (const std::string& m : expected_mentions) {
    bool found = false;
    for (const std::string& w : r->warnings)
      found = found || w.find(m) != std::string::npos;
    INFO(m);
    CHECK(found);
  }
  CHECK(r->warnings[0].find("tailscale_style.hujson:27:3: section \"ssh\" is not implemented") !=
        std::string::npos);
  const Policy& p = r->policy;
  // 5 acls + 1 grant with ip (the app-only grant allows nothing and is dropped).
  REQUIRE(p.rules.size() == 6);
  CHECK(p.rules[2].dst[0].alias.kind == AliasKind::kSelf);
  CHECK(p.rules[4].src[0].kind == AliasKind::kPrefix);
  CHECK(p.rules[4].dst[0].alias.prefix.to_string() == "fd7a:115c:a1e0::5/128");
  const Rule& g = p.rules[5];
  CHECK(g.ref() == "grants[0]");
  REQUIRE(g.dst.size() == 2);
  CHECK(g.dst[0].protos.count() == 1);
  CHECK(ports_to_string(g.dst[0].ports) == "443");
  CHECK(g.dst[1].protos.test(kProtoIcmp));
  CHECK(g.dst[1].protos.test(kProtoIcmpV6));
}

TEST_CASE("empty and minimal policies deny everything", "[unit]") {
  CHECK(parse_ok("{}").policy.empty());
  CHECK(parse_ok("// nothing\n{\"acls\": []}").policy.empty());
}

TEST_CASE("policy errors name line, column and what was expected", "[unit]") {
  CHECK(error_of("{\"acl\": []}") ==
        "p.hujson:1:2: unknown key \"acl\"; expected one of groups, tagOwners, hosts, acls, "
        "grants, postures, defaultSrcPosture, tests (or an ignored Tailscale section such as "
        "ssh or nodeAttrs)");
  CHECK(error_of("{\"acls\": [\n  {\"action\": \"accept\", \"src\": [\"nobody\"], \"dst\": "
                 "[\"*:*\"]}]}") ==
        "p.hujson:2:32: unknown alias \"nobody\"; expected a user email, group:<name>, "
        "tag:<name>, a host from `hosts`, an IP address or CIDR, *, autogroup:member, "
        "autogroup:tagged or autogroup:self");
  CHECK(error_of(
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"tag:x:22\"]}]}") ==
        "p.hujson:1:54: tag \"tag:x\" has no entry in `tagOwners`; expected every tag used in "
        "rules to be declared there");
  CHECK(error_of(
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"group:g\"], \"dst\": [\"*:*\"]}]}") ==
        "p.hujson:1:40: unknown group \"group:g\"; expected a group defined in `groups`");
  CHECK(error_of(
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:70000\"]}]}") ==
        "p.hujson:1:54: bad port \"70000\" in \"70000\"; expected a number 0-65535");
  CHECK(error_of(
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:90-80\"]}]}") ==
        "p.hujson:1:54: port range \"90-80\" runs backwards; expected low-high");
  CHECK(
      error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:22,\"]}]}") ==
      "p.hujson:1:54: empty entry in port list \"22,\"; expected *, a port, a range a-b or a "
      "comma list");
  CHECK(error_of(
            "{\"acls\": [{\"action\": \"accept\", \"src\": [\"10.0.0.1/8\"], \"dst\": [\"*:*\"]}]}")
            .find("p.hujson:1:40: ") == 0);
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*\"]}]}") ==
        "p.hujson:1:54: destination \"*\" has no ports; expected alias:ports like tag:ehr:443 "
        "or host:*");
  CHECK(error_of("{\"acls\": [{\"action\": \"drop\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}]}") ==
        "p.hujson:1:22: unsupported action \"drop\"; expected \"accept\" (rules only allow)");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], "
                 "\"prto\": \"tcp\"}]}") ==
        "p.hujson:1:62: unknown key \"prto\" in an acl; expected one of action, src, dst, proto, "
        "srcPosture, expires, users, ports");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], "
                 "\"proto\": \"tcpp\"}]}") ==
        "p.hujson:1:71: unknown protocol \"tcpp\"; expected tcp, udp, icmp, ipv6-icmp, sctp, gre, "
        "esp, ah, igmp or an IANA protocol number 0-255");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:22\"], "
                 "\"proto\": \"icmp\"}]}") ==
        "p.hujson:1:54: ports in \"*:22\" have no meaning for proto icmp,ipv6-icmp; expected * "
        "(only tcp, udp and sctp have ports)");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:self\"], \"dst\": "
                 "[\"*:*\"]}]}") ==
        "p.hujson:1:40: autogroup:self is only allowed as a destination; expected it in dst");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"autogroup:admin\"], \"dst\": "
                 "[\"*:*\"]}]}") ==
        "p.hujson:1:40: unsupported autogroup \"autogroup:admin\"; expected autogroup:member, "
        "autogroup:tagged or autogroup:self");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], "
                 "\"expires\": \"2026-13-01T00:00:00Z\"}]}") ==
        "p.hujson:1:73: bad time \"2026-13-01T00:00:00Z\": month out of range; expected RFC 3339 "
        "like 2026-12-01T17:00:00Z");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [], \"dst\": [\"*:*\"]}]}") ==
        "p.hujson:1:39: empty src; expected at least one alias");
  CHECK(error_of("{\"acls\": [{\"src\": [\"*\"], \"dst\": [\"*:*\"]}]}") ==
        "p.hujson:1:11: acl has no \"action\"; expected \"accept\"");
  CHECK(error_of("{\"acls\": {}}") == "p.hujson:1:10: expected an array for acls, found object");
  CHECK(error_of("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"], "
                 "\"srcPosture\": [\"posture:x\"]}]}") ==
        "p.hujson:1:77: unknown posture \"posture:x\"; expected a posture defined in `postures`");
}

TEST_CASE("group definitions are checked", "[unit]") {
  CHECK(error_of("{\"groups\": {\"group:a\": [\"group:b\"]}}") ==
        "p.hujson:1:25: group \"group:a\" includes unknown group \"group:b\"; expected a group "
        "defined in `groups`");
  CHECK(
      error_of(
          "{\"groups\": {\n\"group:a\": [\"group:b\"],\n\"group:b\": [\"x@y.z\", \"group:a\"]}}") ==
      "p.hujson:3:22: group cycle group:a -> group:b -> group:a; expected groups to nest "
      "without cycles");
  CHECK(error_of("{\"groups\": {\"group:a\": [\"group:a\"]}}") ==
        "p.hujson:1:25: group cycle group:a -> group:a; expected groups to nest without cycles");
  CHECK(error_of("{\"groups\": {\"devs\": []}}") ==
        "p.hujson:1:13: bad group name \"devs\"; expected group:<name> (letters, digits, - _ .)");
  CHECK(error_of("{\"groups\": {\"group:a\": [\"not-an-email\"]}}") ==
        "p.hujson:1:25: bad member \"not-an-email\" of \"group:a\"; expected a user email or "
        "group:<name>");
  auto p = parse_ok(
      R"({"groups": {"group:a": ["A@X.org", "group:b"], "group:b": ["b@x.org", "a@x.org"]}})");
  CHECK(p.policy.groups.at("group:a") == std::vector<std::string>{"a@x.org", "b@x.org"});
}

TEST_CASE("tagOwners, hosts and postures are checked", "[unit]") {
  CHECK(error_of("{\"tagOwners\": {\"tag:a\": [\"group:nope\"]}}") ==
        "p.hujson:1:26: owner \"group:nope\" of \"tag:a\" is an unknown group; expected a group "
        "defined in `groups`");
  CHECK(error_of("{\"hosts\": {\"db\": \"10.0.0.300\"}}").find("p.hujson:1:18: ") == 0);
  CHECK(error_of("{\"postures\": {\"posture:a\": [\"node:os ~= 'linux'\"]}}") ==
        "p.hujson:1:29: expected an operator (==, !=, <, <=, >, >=, IN, NOT IN, IS SET, NOT SET) "
        "after \"node:os\" in posture condition \"node:os ~= 'linux'\"");
  CHECK(error_of("{\"postures\": {\"posture:a\": [\"node:osVersion >= 'abc'\"]}}") ==
        "p.hujson:1:29: posture condition \"node:osVersion >= 'abc'\" compares with \"abc\"; "
        "expected a version or number like '13.4.1' for >=");
  auto w = parse_ok(R"({"postures": {"posture:a": ["node:tsAutoUpdate == true"]}})");
  REQUIRE(w.warnings.size() == 1);
  CHECK(w.warnings[0] ==
        "p.hujson:1:29: posture attribute \"node:tsAutoUpdate\" is not reported by Ward nodes "
        "unless a custom collector sets it; until then the condition is false");
}

TEST_CASE("defaultSrcPosture applies to rules without srcPosture", "[unit]") {
  auto p = parse_ok(R"({
    "postures": {"posture:a": ["disk:encrypted == true"], "posture:b": ["node:os == 'linux'"]},
    "defaultSrcPosture": ["posture:a"],
    "acls": [
      {"action": "accept", "src": ["*"], "dst": ["*:*"]},
      {"action": "accept", "src": ["*"], "dst": ["*:*"], "srcPosture": ["posture:b"]},
    ]})");
  CHECK(p.policy.rules[0].src_posture == std::vector<std::string>{"posture:a"});
  CHECK(p.policy.rules[1].src_posture == std::vector<std::string>{"posture:b"});
}

TEST_CASE("grants with via are skipped entirely, never widened", "[unit]") {
  auto p = parse_ok(R"({"tagOwners": {"tag:r": []}, "grants": [
    {"src": ["*"], "dst": ["*"], "ip": ["*"], "via": ["tag:r"]}]})");
  CHECK(p.policy.rules.empty());
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("uses \"via\"") != std::string::npos);
}

TEST_CASE("legacy users/ports acl keys are accepted", "[unit]") {
  auto p = parse_ok(R"({"acls": [{"action": "accept", "users": ["a@b.c"], "ports": ["*:22"]}]})");
  REQUIRE(p.policy.rules.size() == 1);
  CHECK(p.policy.rules[0].src[0].name == "a@b.c");
}

TEST_CASE("ports, protocols and RFC 3339 syntax", "[unit]") {
  CHECK(ports_to_string(*parse_ports("443,80-90,85,91")) == "80-91,443");
  CHECK(ports_to_string(*parse_ports("*")) == "*");
  CHECK_FALSE(parse_ports("").ok());
  CHECK_FALSE(parse_ports("a").ok());
  CHECK_FALSE(parse_ports("-1").ok());
  CHECK(parse_protocol("47")->test(47));
  CHECK_FALSE(parse_protocol("256").ok());
  CHECK(parse_protocol("ipv6-icmp")->count() == 1);
  using namespace std::chrono;
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z")->time_since_epoch().count() == 0);
  CHECK(parse_rfc3339("2026-12-01T19:30:00.999+01:30")->time_since_epoch().count() ==
        parse_rfc3339("2026-12-01T18:00:00Z")->time_since_epoch().count());
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").ok());
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").ok());
  CHECK_FALSE(parse_rfc3339("2026-12-01T18:00:00").ok());
  CHECK_FALSE(parse_rfc3339("2026-12-01").ok());
  CHECK(format_rfc3339(*parse_rfc3339("2030-06-15T23:59:59-00:00")) == "2030-06-15T23:59:59Z");
}

}  // namespace
}  // namespace ward::policy
