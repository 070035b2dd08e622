#include "controller/review/review.hpp"

#include <catch2/catch.hpp>

#include "controller/policy/inventory.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/policy/syntax.hpp"

namespace ward::review {
namespace {

constexpr const char* kInventory = R"({
  "users": [{"email": "a@h.example", "groups": ["clin"]}, {"email": "b@h.example"}],
  "devices": [
    {"id": "d1", "name": "a-laptop", "user": "a@h.example",
     "public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=",
     "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"], "status": "active",
     "posture": {"disk:encrypted": true}, "endpoints": ["192.0.2.1:51820"]},
    {"id": "d2", "name": "ehr", "tags": ["tag:ehr"],
     "public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI=",
     "addresses": ["100.64.0.2"], "status": "active"},
    {"id": "d3", "name": "b-laptop", "user": "b@h.example",
     "public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM=",
     "addresses": ["100.64.0.3"], "status": "quarantined"}
  ]})";

constexpr const char* kPolicy = R"({
  "groups": {"group:clin": []},
  "tagOwners": {"tag:ehr": ["a@h.example"]},
  "acls": [{"action": "accept", "src": ["group:clin"], "dst": ["tag:ehr:443"]}],
  "tests": [{"src": "a@h.example", "accept": ["tag:ehr:443"], "deny": ["tag:ehr:22"]}],
})";

policy::Time now() {
  return *policy::parse_rfc3339("2026-11-28T12:00:00Z");
}

policy::Inventory inventory() {
  auto inv = policy::parse_inventory(kInventory);
  REQUIRE(inv);
  return *inv;
}

std::unique_ptr<policy::Compiler> deny_all() {
  auto c = policy::Compiler::create(std::make_shared<const policy::Policy>(), inventory(), now());
  REQUIRE(c);
  return std::move(*c);
}

TEST_CASE("check reports tests and the peers each device gains against the baseline", "[unit]") {
  auto base = deny_all();
  auto r = check({kPolicy, "p.hujson"}, inventory(), *base, now());
  REQUIRE(r);
  INFO(r->report.dump());
  REQUIRE(r->ok());
  CHECK(r->report["tests"]["passed"] == 2);
  CHECK(r->report["tests"]["failed"].empty());
  REQUIRE(r->policy != nullptr);
  REQUIRE(r->compiled != nullptr);
  const auto& changes = r->report["changes"];
  REQUIRE(changes.size() == 2);
  CHECK(changes[0] == nlohmann::json{{"device", "a-laptop"},
                                     {"peers_added", {"ehr"}},
                                     {"peers_removed", nlohmann::json::array()}});
  CHECK(changes[1]["device"] == "ehr");

  // Against itself nothing changes.
  auto same = check({kPolicy, "p.hujson"}, inventory(), *r->compiled, now());
  REQUIRE(same);
  CHECK(same->report["changes"].empty());
}

TEST_CASE("check lists every failing assertion and is not ok", "[unit]") {
  auto base = deny_all();
  const std::string text = R"({
    "groups": {"group:clin": []},
    "tagOwners": {"tag:ehr": ["a@h.example"]},
    "acls": [{"action": "accept", "src": ["group:clin"], "dst": ["tag:ehr:*"]}],
    "tests": [{"src": "a@h.example", "accept": ["tag:ehr:443"], "deny": ["tag:ehr:22", "tag:ehr:80"]}]})";
  auto r = check({text, "bad-tests.hujson"}, inventory(), *base, now());
  REQUIRE(r);
  CHECK_FALSE(r->ok());
  CHECK(r->report["tests"]["passed"] == 1);
  REQUIRE(r->report["tests"]["failed"].size() == 2);
  CHECK_THAT(r->report["tests"]["failed"][0].get<std::string>(),
             Catch::Contains("bad-tests.hujson:") && Catch::Contains("expected deny"));
  CHECK(r->policy != nullptr);  // parsed and compiled: a caller may still show the changes
}

TEST_CASE("check turns a parse error into a report naming the line", "[unit]") {
  auto base = deny_all();
  auto r = check({"{\n  \"acls\": [{\"action\": \"drop\"}]\n}", "broken.hujson"}, inventory(),
                 *base, now());
  REQUIRE(r);
  CHECK_FALSE(r->ok());
  REQUIRE(r->report["errors"].size() == 1);
  CHECK_THAT(r->report["errors"][0].get<std::string>(), Catch::StartsWith("broken.hujson:2:"));
  CHECK(r->policy == nullptr);
  CHECK(r->compiled == nullptr);
}

TEST_CASE("test names the deciding rule or why not", "[unit]") {
  auto base = deny_all();
  auto r = check({kPolicy, "p.hujson"}, inventory(), *base, now());
  REQUIRE(r);
  auto yes = test(*r->compiled, "a-laptop", "tag:ehr", 443, 6);
  REQUIRE(yes);
  CHECK((*yes)["decision"] == "accept");
  CHECK((*yes)["rule"] == "acls[0]");
  auto no = test(*r->compiled, "a-laptop", "ehr", 22, 6);
  REQUIRE(no);
  CHECK((*no)["decision"] == "deny");
  CHECK((*no)["rule"].is_null());
  // A quarantined device takes no part: nothing is selected, so nothing is accepted.
  auto q = test(*r->compiled, "b-laptop", "ehr", 443, 6);
  REQUIRE(q);
  CHECK((*q)["decision"] == "deny");
  auto unknown = test(*r->compiled, "group:nobody", "ehr", 443, 6);
  CHECK_FALSE(unknown);
}

TEST_CASE("netmap finds a device by id or name and explains", "[unit]") {
  auto base = deny_all();
  auto r = check({kPolicy, "p.hujson"}, inventory(), *base, now());
  REQUIRE(r);
  auto by_name = netmap(*r->compiled, "ehr", true);
  REQUIRE(by_name);
  auto by_id = netmap(*r->compiled, "d2", true);
  REQUIRE(by_id);
  CHECK(*by_name == *by_id);
  CHECK(by_name->dump().find("acls[0]") != std::string::npos);
  auto plain = netmap(*r->compiled, "d2", false);
  REQUIRE(plain);
  CHECK(plain->dump().find("acls[0]") == std::string::npos);
  auto missing = netmap(*r->compiled, "nope", false);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("parse_proto takes names and numbers only", "[unit]") {
  CHECK(parse_proto("tcp").value() == 6);
  CHECK(parse_proto("udp").value() == 17);
  CHECK(parse_proto("icmp").value() == 1);
  CHECK(parse_proto("132").value() == 132);
  CHECK(parse_proto("0").value() == 0);
  for (const char* bad : {"", "256", "-1", "6x", "TCP ", "sctp"}) {
    INFO(bad);
    CHECK_FALSE(parse_proto(bad));
  }
}

TEST_CASE("inventory_json round-trips through parse_inventory", "[unit]") {
  policy::Inventory inv = inventory();
  REQUIRE(policy::validate_inventory(inv));
  const std::string text = inventory_json(inv).dump();
  auto back = policy::parse_inventory(text);
  REQUIRE(back);
  CHECK(back->users == inv.users);
  CHECK(back->devices == inv.devices);
}

}  // namespace
}  // namespace ward::review
