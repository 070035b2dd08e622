// The netmap stream and the policy endpoints against a real controller on loopback
// (issue 4): the first message is the full netmap; afterwards a device gets a message
// when, and only when, its netmap changes, with a strictly larger serial; a policy whose
// tests fail is refused and changes nothing; rollback; a time-bound rule expires;
// revocation reaches the device at once and ends its stream; reconnects with ?serial=
// get what was missed; serials keep growing across a controller restart.
#include <chrono>
#include <ctime>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "controller/server/test_controller.hpp"

namespace ward::controller::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPassword = "correct horse battery staple 42";

struct Node {
  std::string id;
  std::string name;
  std::string wg_public_key;
  ClientCert cert;
};

struct Hospital {
  std::unique_ptr<TestController> c = TestController::start();
  TotpUser owner{"owner@hospital.org", kPassword, "", 0};
  std::unique_ptr<ApiClient> admin;
  Node ehr, clin, lab;

  Hospital() {
    admin = std::make_unique<ApiClient>(*c);
    admin->token = bootstrap_owner(*c, owner);
    ehr = enroll("tag:ehr", "ehr");
    clin = enroll("tag:clin", "clin");
    lab = enroll("tag:lab", "lab");
  }

  Node enroll(const std::string& tag, const std::string& host) {
    const EnrolledDevice d = enroll_tagged(*c, *admin, tag, host);
    return {d.answer["device_id"].get<std::string>(), d.answer["name"].get<std::string>(),
            d.keys.wg_public_key, d.cert()};
  }

  Reply put_policy(const std::string& text) {
    return admin->call("PUT", "/v1/admin/policy", nlohmann::json{{"text", text}}.dump());
  }
};

std::string policy_text(const std::string& extra_acl = "", const std::string& extra_test = "") {
  return R"({
  // Clinicians' devices reach the EHR on HTTPS only.
  "tagOwners": {"tag:ehr": ["owner@hospital.org"], "tag:clin": ["owner@hospital.org"],
                "tag:lab": ["owner@hospital.org"]},
  "acls": [
    {"action": "accept", "src": ["tag:clin"], "dst": ["tag:ehr:443"]},)" +
         extra_acl + R"(
  ],
  "tests": [
    {"src": "tag:clin", "accept": ["tag:ehr:443"], "deny": ["tag:ehr:22"]},)" +
         extra_test + R"(
  ],
})";
}

std::set<std::string> peer_keys(const nlohmann::json& netmap) {
  std::set<std::string> out;
  for (const auto& p : netmap["peers"])
    out.insert(p["public_key"].get<std::string>());
  return out;
}

std::uint64_t serial_of(const nlohmann::json& m) {
  return m["serial"].get<std::uint64_t>();
}

// The next message that is not a keepalive.
std::optional<nlohmann::json> next_change(StreamClient& s, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = s.next(
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!m) return std::nullopt;
    if ((*m)["type"] != "keepalive") return m;
  }
  return std::nullopt;
}

std::string rfc3339_in(seconds from_now) {
  const std::time_t t = std::time(nullptr) + from_now.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST_CASE("netmap stream and policy endpoints against a real controller", "[integration]") {
  Hospital h;

  // No policy yet: every stream opens with an empty map.
  StreamClient ehr(*h.c, h.ehr.cert);
  StreamClient clin(*h.c, h.clin.cert);
  StreamClient lab(*h.c, h.lab.cert);
  REQUIRE(ehr.status() == 200);
  REQUIRE(clin.status() == 200);
  REQUIRE(lab.status() == 200);
  auto e0 = ehr.next(seconds(10));
  auto c0 = clin.next(seconds(10));
  auto l0 = lab.next(seconds(10));
  REQUIRE(e0);
  REQUIRE(c0);
  REQUIRE(l0);
  CHECK((*e0)["type"] == "netmap");
  CHECK((*e0)["self"]["id"] == h.ehr.id);
  CHECK((*e0)["peers"].empty());
  CHECK(h.admin->get("/v1/admin/policy").status == 404);

  // A dry run shows what would change, and stores nothing.
  auto check = h.admin->post("/v1/admin/policy/check", {{"text", policy_text()}});
  INFO(check.body);
  REQUIRE(check.status == 200);
  CHECK(check.json["ok"] == true);
  CHECK(check.json["tests"]["passed"] == 2);
  CHECK(check.json["changes"].size() == 2);  // ehr and clin gain each other
  CHECK(h.admin->get("/v1/admin/policy").status == 404);

  // Version 1: ehr and clin become peers; lab is unaffected and hears nothing.
  auto v1 = h.put_policy(policy_text());
  INFO(v1.body);
  REQUIRE(v1.status == 200);
  CHECK(v1.json["version"] == 1);
  CHECK(v1.json["sha256"].get<std::string>().size() == 64);
  auto e1 = next_change(ehr, seconds(5));
  auto c1 = next_change(clin, seconds(5));
  REQUIRE(e1);
  REQUIRE(c1);
  CHECK(serial_of(*e1) > serial_of(*e0));
  CHECK(serial_of(*c1) > serial_of(*c0));
  // Small maps change by a full netmap or a delta, whichever is smaller.
  const auto has_peer = [](const nlohmann::json& m, const std::string& key) {
    if (m["type"] == "netmap") return peer_keys(m).count(key) == 1;
    for (const auto& p : m["peers_upsert"])
      if (p["public_key"] == key) return true;
    return false;
  };
  CHECK(has_peer(*e1, h.clin.wg_public_key));
  CHECK(has_peer(*c1, h.ehr.wg_public_key));
  CHECK_FALSE(next_change(lab, milliseconds(700)));

  // The live answers: test, netmap with explanations, inventory.
  auto yes = h.admin->post("/v1/admin/policy/test",
                           {{"src", "clin"}, {"dst", "ehr"}, {"port", 443}, {"proto", "tcp"}});
  INFO(yes.body);
  CHECK(yes.json["decision"] == "accept");
  CHECK(yes.json["rule"] == "acls[0]");
  auto no = h.admin->post("/v1/admin/policy/test",
                          {{"src", "clin"}, {"dst", "ehr"}, {"port", 22}, {"proto", 6}});
  CHECK(no.json["decision"] == "deny");
  CHECK(h.admin->post("/v1/admin/policy/test", {{"src", "clin"}, {"dst", "ehr"}}).status == 400);
  auto explained = h.admin->get("/v1/admin/netmap/ehr?explain=1");
  INFO(explained.body);
  REQUIRE(explained.status == 200);
  CHECK(explained.body.find("acls[0]") != std::string::npos);
  CHECK(h.admin->get("/v1/admin/netmap/no-such-device").status == 404);
  auto inventory = h.admin->get("/v1/admin/inventory");
  REQUIRE(inventory.status == 200);
  CHECK(inventory.json["devices"].size() == 3);

  // A policy whose tests fail is refused with every failing assertion; nothing changes.
  auto refused = h.put_policy(
      policy_text(R"({"action": "accept", "src": ["tag:clin"], "dst": ["tag:ehr:22"]},)"));
  INFO(refused.body);
  CHECK(refused.status == 422);
  CHECK(refused.json["tests"]["failed"].size() == 1);
  CHECK(refused.json["tests"]["failed"][0].get<std::string>().find("tag:ehr:22") !=
        std::string::npos);
  CHECK(h.admin->get("/v1/admin/policy").json["version"] == 1);
  CHECK(h.put_policy("{ \"acls\": [ {\"action\": \"drop\"} ] }").status == 400);
  CHECK_FALSE(next_change(ehr, milliseconds(500)));

  // Version 2 adds lab -> ehr:5432: only ehr and lab hear about it.
  auto v2 = h.put_policy(
      policy_text(R"({"action": "accept", "src": ["tag:lab"], "dst": ["tag:ehr:5432"]},)"));
  REQUIRE(v2.status == 200);
  auto e2 = next_change(ehr, seconds(5));
  auto l2 = next_change(lab, seconds(5));
  REQUIRE(e2);
  REQUIRE(l2);
  CHECK(serial_of(*e2) > serial_of(*e1));
  CHECK(has_peer(*e2, h.lab.wg_public_key));
  CHECK_FALSE(next_change(clin, milliseconds(500)));

  // Rollback to version 1 stores version 3 with v1's text; lab loses ehr again.
  auto v3 = h.admin->post("/v1/admin/policy/rollback", {{"version", 1}});
  INFO(v3.body);
  REQUIRE(v3.status == 200);
  CHECK(v3.json["version"] == 3);
  CHECK(v3.json["sha256"] == v1.json["sha256"]);
  auto e3 = next_change(ehr, seconds(5));
  auto l3 = next_change(lab, seconds(5));
  REQUIRE(e3);
  REQUIRE(l3);
  CHECK(serial_of(*l3) > serial_of(*l2));
  auto history = h.admin->get("/v1/admin/policy/history");
  CHECK(history.json["versions"].size() == 3);
  CHECK(history.json["current"] == 3);
  CHECK(h.admin->post("/v1/admin/policy/rollback", {{"version", 42}}).status == 404);

  // Reconnect with the current serial: a keepalive and nothing else. With an older
  // serial: what was missed, as a delta ending at the current serial.
  const std::uint64_t ehr_now = serial_of(*e3);
  {
    StreamClient again(*h.c, h.ehr.cert, "/v1/stream?serial=" + std::to_string(ehr_now));
    REQUIRE(again.status() == 200);
    auto m = again.next(seconds(5));
    REQUIRE(m);
    CHECK((*m)["type"] == "keepalive");
    CHECK(serial_of(*m) == ehr_now);
  }
  CHECK(ehr.wait_end(seconds(5)));  // the newer stream replaced the old one
  {
    StreamClient again(*h.c, h.ehr.cert, "/v1/stream?serial=" + std::to_string(serial_of(*e1)));
    REQUIRE(again.status() == 200);
    auto m = again.next(seconds(5));
    REQUIRE(m);
    CHECK((*m)["type"] == "delta");
    CHECK((*m)["base_serial"] == serial_of(*e1));
    CHECK(serial_of(*m) == ehr_now);
  }
  {
    StreamClient bad(*h.c, h.ehr.cert, "/v1/stream?serial=abc");
    CHECK(bad.status() == 400);
  }

  // A time-bound rule: lab reaches ehr:8443 for a few seconds, then no more.
  StreamClient ehr2(*h.c, h.ehr.cert);
  REQUIRE(ehr2.status() == 200);
  REQUIRE(ehr2.next(seconds(5)));
  auto v4 = h.put_policy(policy_text(
      R"({"action": "accept", "src": ["tag:lab"], "dst": ["tag:ehr:8443"], "expires": ")" +
      rfc3339_in(seconds(3)) + R"("},)"));
  INFO(v4.body);
  REQUIRE(v4.status == 200);
  auto gained = next_change(ehr2, seconds(5));
  REQUIRE(gained);
  CHECK(has_peer(*gained, h.lab.wg_public_key));
  auto expired = next_change(ehr2, seconds(8));
  REQUIRE(expired);
  CHECK(serial_of(*expired) > serial_of(*gained));
  if ((*expired)["type"] == "delta") {
    CHECK((*expired)["peers_remove"] == nlohmann::json::array({h.lab.wg_public_key}));
  } else {
    CHECK(peer_keys(*expired).count(h.lab.wg_public_key) == 0);
  }

  // Revocation: the device is told at once and its stream ends; its peer drops it.
  REQUIRE(
      h.admin->post("/v1/admin/devices/" + h.clin.id + "/revoke", {{"reason", "stolen"}}).status ==
      200);
  auto r = next_change(clin, seconds(5));
  REQUIRE(r);
  CHECK((*r)["type"] == "revoked");
  CHECK((*r)["reason"].get<std::string>().find("stolen") != std::string::npos);
  CHECK(clin.wait_end(seconds(5)));
  auto dropped = next_change(ehr2, seconds(5));
  REQUIRE(dropped);
  if ((*dropped)["type"] == "delta") {
    CHECK((*dropped)["peers_remove"] == nlohmann::json::array({h.clin.wg_public_key}));
  } else {
    CHECK(peer_keys(*dropped).empty());
  }
  {
    // A revoked device that reconnects gets the terminal message and the end, nothing else.
    StreamClient again(*h.c, h.clin.cert);
    REQUIRE(again.status() == 200);
    auto m = again.next(seconds(5));
    REQUIRE(m);
    CHECK((*m)["type"] == "revoked");
    CHECK(again.wait_end(seconds(5)));
  }

  // Audited: every accepted and refused policy version, with author and hash.
  const std::uint64_t before_restart = serial_of(*dropped);
  // Restart: serials keep growing, and the policy in force survives.
  h.c->stop_gracefully();
  h.c->serve();
  {
    StreamClient again(*h.c, h.ehr.cert, "/v1/stream?serial=" + std::to_string(before_restart));
    REQUIRE(again.status() == 200);
    auto m = again.next(seconds(5));
    REQUIRE(m);
    CHECK((*m)["type"] == "netmap");
    CHECK(serial_of(*m) > before_restart);
    CHECK(peer_keys(*m).empty());  // clin revoked, lab's rule expired
  }
}

}  // namespace
}  // namespace ward::controller::testing
