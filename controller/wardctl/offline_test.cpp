#include "controller/wardctl/offline.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "controller/policy/inventory.hpp"
#include "controller/wardctl/policy_render.hpp"

namespace ward::wardctl {
namespace {

std::string slurp(const std::string& name) {
  std::ifstream f(std::string(WARD_POLICY_TESTDATA) + "/" + name);
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

PolicyText hospital() {
  return {slurp("hospital.hujson"), "hospital.hujson"};
}

policy::Inventory inventory() {
  auto inv = policy::parse_inventory(slurp("hospital_inventory.json"));
  REQUIRE(inv);
  return *inv;
}

policy::Time at(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}

const policy::Time kNow = at(2026, 11, 28);

bool contains(const nlohmann::json& list, const std::string& v) {
  for (const auto& e : list) {
    if (e == v) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("offline check: tests pass and changes are listed against deny-all", "[unit]") {
  auto r = offline_check(hospital(), inventory(), std::nullopt, kNow);
  REQUIRE(r);
  INFO(r->dump(2));
  CHECK((*r)["ok"] == true);
  CHECK((*r)["errors"].empty());
  CHECK((*r)["tests"]["passed"] == 7);
  CHECK((*r)["tests"]["failed"].empty());
  bool house = false;
  for (const auto& c : (*r)["changes"]) {
    CHECK(c["device"] != "stolen-laptop");  // revoked: never gains a peer
    if (c["device"] == "house-laptop") {
      house = true;
      CHECK(contains(c["peers_added"], "ehr-1"));
      CHECK_FALSE(contains(c["peers_added"], "pacs-1"));
      CHECK(c["peers_removed"].empty());
    }
  }
  CHECK(house);
  const std::string text = render_check(*r);
  CHECK(text.find("Tests: 7 passed, 0 failed") != std::string::npos);
  CHECK(text.find("house-laptop") != std::string::npos);
  CHECK(text.substr(text.size() - 3) == "OK\n");

  // Against itself as the baseline nothing changes.
  auto same = offline_check(hospital(), inventory(), hospital(), kNow);
  REQUIRE(same);
  CHECK((*same)["changes"].empty());
}

TEST_CASE("offline check: failing tests and parse errors make it not ok", "[unit]") {
  std::string text = hospital().text;
  const std::string from = R"({"src": "tag:pacs", "accept": ["tag:modality:104"])";
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(),
               R"({"src": "nurse.joy@hospital.example", "accept": ["tag:ehr:443"])");
  auto r = offline_check({text, "p.hujson"}, inventory(), std::nullopt, kNow);
  REQUIRE(r);
  CHECK((*r)["ok"] == false);
  REQUIRE((*r)["tests"]["failed"].size() == 1);
  CHECK((*r)["tests"]["failed"][0].get<std::string>().find("joy-tablet") != std::string::npos);
  CHECK(render_check(*r).find("FAIL ") != std::string::npos);

  auto bad = offline_check({"{\"acls\": [ {\"action\": \"deny\"} ]}", "bad.hujson"}, inventory(),
                           std::nullopt, kNow);
  REQUIRE(bad);
  CHECK((*bad)["ok"] == false);
  REQUIRE((*bad)["errors"].size() == 1);
  CHECK((*bad)["errors"][0].get<std::string>().rfind("bad.hujson:1:", 0) == 0);
}

TEST_CASE("offline test: decisions name the deciding rule", "[unit]") {
  auto a = offline_test(hospital(), inventory(), "house-laptop", "ehr-1", 443, 6, kNow);
  REQUIRE(a);
  CHECK((*a)["decision"] == "accept");
  CHECK((*a)["rule"] == "acls[0]");
  CHECK(render_decision(*a) == "accept (acls[0])\n");

  // joy's tablet fails the posture: denied.
  auto d = offline_test(hospital(), inventory(), "joy-tablet", "ehr-1", 443, 6, kNow);
  REQUIRE(d);
  CHECK((*d)["decision"] == "deny");
  CHECK((*d)["rule"].is_null());

  auto ssh = offline_test(hospital(), inventory(), "group:it", "tag:ehr", 22, 6, kNow);
  REQUIRE(ssh);
  CHECK((*ssh)["decision"] == "accept");
  CHECK((*ssh)["rule"] == "acls[1]");

  // The vendor rule allows until it expires.
  auto before = offline_test(hospital(), inventory(), "tag:vendor", "mri-1", 443, 6, kNow);
  REQUIRE(before);
  CHECK((*before)["decision"] == "accept");
  auto after =
      offline_test(hospital(), inventory(), "tag:vendor", "mri-1", 443, 6, at(2026, 12, 2));
  REQUIRE(after);
  CHECK((*after)["decision"] == "deny");

  CHECK_FALSE(offline_test(hospital(), inventory(), "group:nobody", "ehr-1", 443, 6, kNow));
}

TEST_CASE("offline netmap: peers and filters, with explanations", "[unit]") {
  auto m = offline_netmap(hospital(), inventory(), "ehr-1", true, kNow);
  REQUIRE(m);
  std::vector<std::string> peers;
  for (const auto& p : (*m)["peers"])
    peers.push_back(p["name"]);
  CHECK(std::find(peers.begin(), peers.end(), "house-laptop") != peers.end());
  CHECK(std::find(peers.begin(), peers.end(), "ann-laptop") != peers.end());
  CHECK(std::find(peers.begin(), peers.end(), "joy-tablet") == peers.end());
  CHECK(std::find(peers.begin(), peers.end(), "stolen-laptop") == peers.end());
  const std::string text = render_netmap(*m, true);
  CHECK(text.find("house-laptop") != std::string::npos);
  CHECK(text.find("acls[0]") != std::string::npos);
  CHECK(text.find("WHY") != std::string::npos);
  CHECK(render_netmap(*m, false).find("WHY") == std::string::npos);

  auto by_id = offline_netmap(hospital(), inventory(), "d-ehr-1", false, kNow);
  REQUIRE(by_id);
  CHECK((*by_id)["self"]["name"] == "ehr-1");

  auto revoked = offline_netmap(hospital(), inventory(), "stolen-laptop", false, kNow);
  REQUIRE(revoked);
  CHECK((*revoked)["peers"].empty());

  auto missing = offline_netmap(hospital(), inventory(), "nope", false, kNow);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("netmap rendering accepts the stream's filter shape too", "[unit]") {
  const nlohmann::json m = nlohmann::json::parse(R"({
    "type": "netmap", "serial": 42,
    "self": {"id": "dev_1", "name": "ehr-server", "user": null, "tags": ["tag:ehr"],
             "addresses": ["100.64.0.3/32"]},
    "peers": [{"id": "dev_2", "name": "clin1", "public_key": "k",
               "allowed_ips": ["100.64.0.7/32"], "endpoints": ["192.0.2.10:51820"]}],
    "filter": {"inbound": [{"src": ["100.64.0.7/32"], "proto": [6], "ports": [[443, 443], [8000, 8080]]}]}
  })");
  const std::string text = render_netmap(m, false);
  CHECK(text.find("clin1") != std::string::npos);
  CHECK(text.find("443,8000-8080") != std::string::npos);
  CHECK(text.find("Serial:") != std::string::npos);
  CHECK(text.find("1 rules") != std::string::npos);
}

}  // namespace ward::wardctl
