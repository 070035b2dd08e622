#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "controller/policy/query.hpp"
#include "controller/policy/test_util.hpp"

namespace ward::policy {
namespace {

using testing::at;
using testing::compile;
using testing::policy_file;
using testing::policy_from;

Inventory hospital_inventory() {
  auto r = parse_inventory_file(WARD_POLICY_TESTDATA "/hospital_inventory.json");
  if (!r) FAIL(r.error().message());
  return std::move(*r);
}

std::unique_ptr<Compiler> hospital(Time now = at("2026-11-28T17:00:00Z")) {
  return compile(policy_file(WARD_POLICY_TESTDATA "/hospital.hujson"), hospital_inventory(), now);
}

std::vector<std::string> peer_ids(const Netmap& m) {
  std::vector<std::string> out;
  for (const PeerEntry& p : m.peers)
    out.push_back(p.info->id);
  return out;
}

using Ids = std::vector<std::string>;

TEST_CASE("deny by default: no policy, empty policy", "[unit]") {
  for (auto p : {std::shared_ptr<const Policy>(), policy_from("{}"),
                 policy_from("{\"acls\": [], \"groups\": {}}")}) {
    auto c = compile(p, hospital_inventory(), at("2026-11-28T17:00:00Z"));
    for (const std::string& id : c->device_ids()) {
      auto m = c->netmap(id);
      REQUIRE(m);
      CHECK(m->peers.empty());
      CHECK(m->filters.empty());
      CHECK(m->self->id == id);
    }
    CHECK_FALSE(evaluate(*c, "d-house-laptop", "d-ehr-1", 443, kProtoTcp).accept);
    CHECK(evaluate(*c, "d-house-laptop", "d-ehr-1", 443, kProtoTcp).reason == "no rule matches");
  }
}

TEST_CASE("hospital: clinicians reach the EHR on 443 only with posture", "[unit]") {
  auto c = hospital();
  Decision d = evaluate(*c, "d-house-laptop", "d-ehr-1", 443, kProtoTcp);
  CHECK(d.accept);
  CHECK(d.rule == 0u);
  CHECK(d.reason == "acls[0] (srcPosture: posture:managed)");
  CHECK_FALSE(evaluate(*c, "d-house-laptop", "d-ehr-1", 443, kProtoUdp).accept);
  CHECK_FALSE(evaluate(*c, "d-house-laptop", "d-ehr-1", 22, kProtoTcp).accept);
  // The reverse direction is not allowed: filters are inbound only.
  CHECK_FALSE(evaluate(*c, "d-ehr-1", "d-house-laptop", 443, kProtoTcp).accept);
  // Nurse Joy's tablet has no disk encryption: fails posture:managed.
  CHECK_FALSE(evaluate(*c, "d-joy-tablet", "d-ehr-1", 443, kProtoTcp).accept);
  // 13.10 >= 13.4 compares as a version.
  CHECK(evaluate(*c, "d-grey-ws", "d-ehr-1", 443, kProtoTcp).accept);
  // By address too.
  CHECK(evaluate_to_address(*c, "d-grey-ws", *net::IpAddress::parse("fd7a:115c:a1e0::10:10"), 443,
                            kProtoTcp)
            .accept);
  CHECK(evaluate_to_address(*c, "d-grey-ws", *net::IpAddress::parse("100.64.99.99"), 443, kProtoTcp)
            .reason == "no device has overlay address 100.64.99.99");

  auto ehr = c->netmap("d-ehr-1");
  CHECK(peer_ids(*ehr) == Ids{"d-ann-laptop", "d-grey-ws", "d-house-laptop"});
  REQUIRE(ehr->filters.size() == 2);
  CHECK(ehr->filters[0].rule == 0);
  CHECK(ports_to_string(ehr->filters[0].ports) == "443");
  CHECK(protos_to_string(ehr->filters[0].protos) == "tcp");
  std::vector<std::string> src;
  for (const auto& p : ehr->filters[0].src->prefixes)
    src.push_back(p.to_string());
  CHECK(src == Ids{"100.64.1.1/32", "100.64.1.3/32", "fd7a:115c:a1e0::1:1/128"});
  CHECK(ehr->filters[1].rule == 1);
  CHECK(ports_to_string(ehr->filters[1].ports) == "22");
  // Joy's tablet gets nothing from the EHR rule, so it has only IT as a peer.
  CHECK(peer_ids(*c->netmap("d-joy-tablet")) == Ids{"d-ann-laptop"});
}

TEST_CASE("hospital: IT reaches everything on 22; PACS reaches modalities", "[unit]") {
  auto c = hospital();
  for (const char* dst : {"d-ehr-1", "d-pacs-1", "d-mri-1", "d-house-laptop", "d-vendor-1"}) {
    INFO(dst);
    CHECK(evaluate(*c, "d-ann-laptop", dst, 22, kProtoTcp).accept);
    CHECK_FALSE(evaluate(*c, "d-ann-laptop", dst, 23, kProtoTcp).accept);
  }
  CHECK(evaluate(*c, "d-pacs-1", "d-mri-1", 104, kProtoTcp).accept);
  CHECK(evaluate(*c, "d-pacs-1", "d-mri-1", 11112, kProtoUdp).accept);
  CHECK(evaluate(*c, "d-pacs-1", "d-mri-1", 0, kProtoIcmp).accept);  // default protos
  CHECK_FALSE(evaluate(*c, "d-pacs-1", "d-mri-1", 0, 47).accept);
  CHECK_FALSE(evaluate(*c, "d-mri-1", "d-pacs-1", 104, kProtoTcp).accept);
  CHECK(evaluate(*c, "d-grey-ws", "d-pacs-1", 443, kProtoTcp).accept);
  CHECK_FALSE(evaluate(*c, "d-house-laptop", "d-pacs-1", 443, kProtoTcp).accept);
}

TEST_CASE("non-active devices get empty netmaps and appear in nobody's", "[unit]") {
  auto c = hospital();
  auto stolen = c->netmap("d-stolen");
  REQUIRE(stolen);
  CHECK(stolen->peers.empty());
  CHECK(stolen->filters.empty());
  CHECK(stolen->self->status == DeviceStatus::kRevoked);
  for (const std::string& id : c->device_ids()) {
    auto m = c->netmap(id);
    CHECK_FALSE(m->find_peer("d-stolen"));
    for (const FilterRule& f : m->filters) {
      CHECK_FALSE(f.src->contains(*net::IpAddress::parse("100.64.1.9")));
    }
  }
  CHECK(evaluate(*c, "d-stolen", "d-ehr-1", 443, kProtoTcp).reason ==
        "source device stolen-laptop is revoked");
}

TEST_CASE("expiry: a time-bound vendor rule stops at its expiry (injected clock)", "[unit]") {
  auto c = hospital(at("2026-12-01T17:59:59Z"));
  CHECK(c->next_expiry() == at("2026-12-01T18:00:00Z"));
  CHECK(evaluate(*c, "d-vendor-1", "d-mri-1", 22, kProtoTcp).accept);
  CHECK(evaluate(*c, "d-vendor-1", "d-mri-1", 22, kProtoTcp).reason ==
        "acls[4] (expires 2026-12-01T18:00:00Z)");
  CHECK(c->advance_time(at("2026-12-01T17:59:59Z")).empty());
  Ids changed = c->advance_time(at("2026-12-01T18:00:00Z"));
  CHECK(changed == Ids{"d-mri-1", "d-vendor-1"});
  CHECK_FALSE(evaluate(*c, "d-vendor-1", "d-mri-1", 22, kProtoTcp).accept);
  CHECK_FALSE(c->next_expiry().has_value());
  CHECK(peer_ids(*c->netmap("d-vendor-1")) == Ids{"d-ann-laptop"});
  // A compile that starts after the expiry never had the rule.
  auto late = hospital(at("2026-12-01T18:00:00Z"));
  CHECK(same_content(*late->netmap("d-mri-1"), *c->netmap("d-mri-1")));
}

TEST_CASE("autogroup:self connects a user's own devices only", "[unit]") {
  auto p = policy_from(R"({"tagOwners": {"tag:srv": []},
    "acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]})");
  Inventory inv;
  inv.users = {{"alice@x.org", "member", {}}, {"bob@x.org", "member", {}}};
  auto dev = [](std::string id, std::string user, std::string ip,
                std::vector<std::string> tags = {}) {
    Device d;
    d.id = id;
    d.name = id;
    d.user = user;
    d.tags = tags;
    d.overlay_v4 = *net::IpAddress::parse(ip);
    d.status = DeviceStatus::kActive;
    return d;
  };
  inv.devices = {dev("a1", "alice@x.org", "100.64.0.1"), dev("a2", "alice@x.org", "100.64.0.2"),
                 dev("b1", "bob@x.org", "100.64.0.3"),
                 dev("a-srv", "alice@x.org", "100.64.0.4", {"tag:srv"})};
  auto c = compile(p, inv, at("2026-01-01T00:00:00Z"));
  CHECK(evaluate(*c, "a1", "a2", 5000, kProtoTcp).accept);
  CHECK(evaluate(*c, "a2", "a1", 5000, kProtoUdp).accept);
  CHECK_FALSE(evaluate(*c, "a1", "b1", 5000, kProtoTcp).accept);
  CHECK_FALSE(evaluate(*c, "b1", "a1", 5000, kProtoTcp).accept);
  CHECK_FALSE(evaluate(*c, "a1", "a-srv", 5000, kProtoTcp).accept);  // tagged: not alice's
  CHECK(peer_ids(*c->netmap("a1")) == Ids{"a2"});
  CHECK(c->netmap("b1")->peers.empty());
  auto a2 = c->netmap("a2");
  REQUIRE(a2->filters.size() == 1);
  CHECK(a2->filters[0].src->prefixes.size() == 2);  // a1 and a2 themselves
}

TEST_CASE("the tests section runs against the compiled inventory", "[unit]") {
  auto c = hospital();
  CHECK(run_policy_tests(*c).empty());
  auto bad = policy_from(R"({
    "groups": {"group:it": ["ops.ann@hospital.example"]},
    "tagOwners": {"tag:ehr": [], "tag:pacs": []},
    "acls": [{"action": "accept", "src": ["group:it"], "dst": ["tag:ehr:22"]}],
    "tests": [
      {"src": "ops.ann@hospital.example", "accept": ["tag:ehr:22", "tag:ehr:443"],
       "deny": ["tag:ehr:22"]},
      {"src": "nobody@hospital.example", "accept": ["tag:ehr:22"]},
      {"src": "ann-laptop", "accept": ["ehr-1:22"], "deny": ["pacs-1:22"]},
    ]})");
  auto c2 = compile(bad, hospital_inventory(), at("2026-11-28T17:00:00Z"));
  auto failures = run_policy_tests(*c2);
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].message ==
        "t.hujson:6:68: tests[0]: ops.ann@hospital.example -> tag:ehr:443 (tcp): expected "
        "accept, got deny (no rule matches) from device ann-laptop to device ehr-1");
  CHECK(failures[1].message ==
        "t.hujson:7:17: tests[0]: ops.ann@hospital.example -> tag:ehr:22 (tcp): expected deny, "
        "got accept (acls[0]) from device ann-laptop to device ehr-1");
  CHECK(failures[2].message ==
        "t.hujson:8:53: tests[1]: nobody@hospital.example -> tag:ehr:22 (tcp): expected accept, "
        "but src \"nobody@hospital.example\" selects no active device");
}

TEST_CASE("explain output names the rule and posture", "[unit]") {
  auto c = hospital();
  const Policy& p = c->policy();
  nlohmann::json j = to_json(*c->netmap("d-ehr-1"), &p);
  CHECK(j["self"]["name"] == "ehr-1");
  CHECK(j["peers"].size() == 3);
  CHECK(j["peers"][2]["id"] == "d-house-laptop");
  CHECK(j["peers"][2]["why"][0]["rule"] == "acls[0] (srcPosture: posture:managed)");
  CHECK(j["peers"][2]["why"][0]["direction"] == "inbound");
  CHECK(j["peers"][2]["allowed_ips"] ==
        nlohmann::json::array({"100.64.1.1/32", "fd7a:115c:a1e0::1:1/128"}));
  CHECK(j["filter"][0]["ports"] == "443");
  CHECK(j["filter"][0]["protos"] == "tcp");
  CHECK(j["filter"][1]["why"] == "acls[1]");
  nlohmann::json plain = to_json(*c->netmap("d-ehr-1"));
  CHECK_FALSE(plain["peers"][0].contains("why"));
}

TEST_CASE("incremental: revoke, rejoin, posture change; diff for deltas", "[unit]") {
  auto c = hospital();
  auto ehr_before = c->netmap("d-ehr-1");
  Device house = *c->device("d-house-laptop");
  house.status = DeviceStatus::kRevoked;
  auto changed = c->upsert_device(house);
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ann-laptop", "d-ehr-1", "d-house-laptop"});
  auto ehr_after = c->netmap("d-ehr-1");
  NetmapDelta d = diff(*ehr_before, *ehr_after);
  CHECK(d.removed == Ids{"d-house-laptop"});
  CHECK(d.added.empty());
  CHECK(d.changed.empty());
  CHECK(d.filters_changed);
  CHECK_FALSE(d.self_changed);
  CHECK(diff(*ehr_after, *ehr_after).empty());
  auto delta_json = to_json(d, *ehr_after);
  CHECK(delta_json["peers_removed"] == nlohmann::json::array({"d-house-laptop"}));

  // Joy encrypts her disk: posture passes, she gains the EHR.
  Device joy = *c->device("d-joy-tablet");
  joy.posture["disk:encrypted"] = "true";
  changed = c->upsert_device(joy);
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ehr-1", "d-joy-tablet"});
  CHECK(evaluate(*c, "d-joy-tablet", "d-ehr-1", 443, kProtoTcp).accept);

  // An unrelated endpoint update of the MRI changes the MRI and its peers only.
  Device mri = *c->device("d-mri-1");
  mri.endpoints = {"198.51.100.7:41641"};
  changed = c->upsert_device(mri);
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ann-laptop", "d-pacs-1", "d-vendor-1"});
  // Nothing changes: nothing reported.
  changed = c->upsert_device(mri);
  REQUIRE(changed.ok());
  CHECK(changed->empty());

  // A device joins the EHR tag.
  Device ehr2;
  ehr2.id = "d-ehr-2";
  ehr2.name = "ehr-2";
  ehr2.tags = {"tag:ehr"};
  ehr2.overlay_v4 = *net::IpAddress::parse("100.64.10.11");
  ehr2.status = DeviceStatus::kActive;
  changed = c->upsert_device(ehr2);
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ann-laptop", "d-ehr-2", "d-grey-ws", "d-joy-tablet"});
  // Errors change nothing.
  Device clash = ehr2;
  clash.id = "d-ehr-3";
  CHECK_FALSE(c->upsert_device(clash).ok());
  CHECK(c->device("d-ehr-3") == nullptr);
  // Removal.
  changed = c->remove_device("d-ehr-2");
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ann-laptop", "d-ehr-2", "d-grey-ws", "d-joy-tablet"});
  CHECK(c->netmap("d-ehr-2") == nullptr);
  CHECK_FALSE(c->remove_device("d-ehr-2").ok());
}

TEST_CASE("incremental: user group membership from the inventory", "[unit]") {
  auto p = policy_from(R"({"groups": {"group:er": []}, "tagOwners": {"tag:ehr": []},
    "acls": [{"action": "accept", "src": ["group:er"], "dst": ["tag:ehr:443"]}]})");
  auto c = compile(p, hospital_inventory(), at("2026-11-28T17:00:00Z"));
  CHECK_FALSE(evaluate(*c, "d-joy-tablet", "d-ehr-1", 443, kProtoTcp).accept);
  auto changed = c->upsert_user({"nurse.joy@hospital.example", "member", {"er"}});
  REQUIRE(changed.ok());
  CHECK(*changed == Ids{"d-ehr-1", "d-joy-tablet"});
  CHECK(evaluate(*c, "d-joy-tablet", "d-ehr-1", 443, kProtoTcp).accept);
}

TEST_CASE("set_policy reports exactly the devices whose netmaps change", "[unit]") {
  auto c = hospital();
  auto same = policy_file(WARD_POLICY_TESTDATA "/hospital.hujson");
  CHECK(c->set_policy(same).empty());
  auto changed = c->set_policy(policy_from("{}"));
  CHECK(changed.size() == 8);  // all active devices had peers; the revoked one did not
  auto r = evaluate_aliases(*c, "*", "ehr-1", 443, kProtoTcp);
  REQUIRE(r.ok());
  for (const auto& pd : *r)
    CHECK_FALSE(pd.decision.accept);
}

TEST_CASE("queries by alias", "[unit]") {
  auto c = hospital();
  auto r = evaluate_aliases(*c, "group:clinicians", "tag:ehr", 443, kProtoTcp);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].src_device == "d-house-laptop");
  CHECK((*r)[0].decision.accept);
  CHECK((*r)[1].src_device == "d-joy-tablet");
  CHECK_FALSE((*r)[1].decision.accept);
  auto byname = evaluate_aliases(*c, "grey-ws", "pacs-1", 443, kProtoTcp);
  REQUIRE(byname.ok());
  REQUIRE(byname->size() == 1);
  CHECK(byname->front().decision.accept);
  CHECK_FALSE(evaluate_aliases(*c, "group:nope", "pacs-1", 443, kProtoTcp).ok());
}

}  // namespace
}  // namespace ward::policy
