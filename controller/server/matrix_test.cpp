// The authorization matrix of docs/admin-api.md against a real controller: every admin
// endpoint called as owner, admin, auditor, member, with a device certificate and with
// no credential, each getting exactly the intended status.
#include <array>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controller/server/test_controller.hpp"

using namespace ward;
using namespace ward::controller::testing;

namespace {

constexpr int kOwner = 0, kAdmin = 1, kAuditor = 2, kMember = 3, kDevice = 4, kNone = 5;
const char* const kCallerNames[] = {"owner", "admin", "auditor", "member", "device", "none"};

struct Row {
  std::string method;
  // The path for caller i (owner and admin may each need their own target).
  std::function<std::string(int)> path;
  std::function<nlohmann::json(int)> body;
  std::array<int, 6> expect;
};

std::function<std::string(int)> fixed(std::string p) {
  return [p](int) { return p; };
}
std::function<std::string(int)> per_caller(std::string owner, std::string admin, std::string rest) {
  return [=](int i) { return i == kOwner ? owner : i == kAdmin ? admin : rest; };
}
std::function<nlohmann::json(int)> no_body() {
  return [](int) { return nlohmann::json::object(); };
}
std::function<nlohmann::json(int)> same(nlohmann::json j) {
  return [j](int) { return j; };
}

const std::array<int, 6> kAll{200, 200, 200, 200, 401, 401};
const std::array<int, 6> kManage{200, 200, 403, 403, 401, 401};
const std::array<int, 6> kAudit{200, 200, 200, 403, 401, 401};

constexpr const char* kPolicy = R"({
  "tagOwners": {"tag:srv": ["owner@h.org"]},
  "acls": [{"action": "accept", "src": ["tag:srv"], "dst": ["tag:srv:443"]}],
})";

}  // namespace

TEST_CASE("controller: authorization matrix of the admin API", "[integration]") {
  auto c = TestController::start();
  std::array<TotpUser, 4> users = {TotpUser{"owner@h.org", "owner-password-123", "", 0},
                                   TotpUser{"admin@h.org", "admin-password-123", "", 0},
                                   TotpUser{"auditor@h.org", "auditor-password-1", "", 0},
                                   TotpUser{"member@h.org", "member-password-12", "", 0}};
  ApiClient setup(*c);
  setup.token = bootstrap_owner(*c, users[0]);
  const char* roles[] = {"owner", "admin", "auditor", "member"};
  for (int i = 1; i < 4; ++i) {
    auto r = setup.post("/v1/admin/users", {{"email", users[i].email},
                                            {"display_name", roles[i]},
                                            {"role", roles[i]},
                                            {"password", users[i].password}});
    REQUIRE(r.status == 201);
    users[i].uri = r.json["totp_uri"].get<std::string>();
  }
  REQUIRE(
      setup
          .post("/v1/admin/users",
                {{"email", "target@h.org"}, {"role", "member"}, {"password", "target-password-1"}})
          .status == 201);
  std::vector<std::string> key_ids;
  for (int i = 0; i < 3; ++i) {
    auto r = setup.post("/v1/admin/keys", {{"tags", {"tag:k"}}});
    REQUIRE(r.status == 201);
    key_ids.push_back(std::to_string(r.json["info"]["id"].get<std::int64_t>()));
  }
  // Devices: three pending, three active, one to hold a certificate, one of the member.
  auto enroll_with = [&](const std::string& key, const std::string& host, DeviceKeys* keys_out) {
    DeviceKeys k = make_device_keys();
    auto b = enroll_body(k, host);
    b["enroll_key"] = key;
    ApiClient anon(*c);
    auto r = anon.post("/v1/enroll", b);
    INFO(r.body);
    REQUIRE(r.status == 200);
    if (keys_out != nullptr) *keys_out = std::move(k);
    return r;
  };
  auto pending_key = setup.post("/v1/admin/keys", {{"reusable", true}, {"tags", {"tag:p"}}});
  auto active_key = setup.post("/v1/admin/keys",
                               {{"reusable", true}, {"tags", {"tag:srv"}}, {"preapproved", true}});
  REQUIRE(pending_key.status == 201);
  REQUIRE(active_key.status == 201);
  std::vector<std::string> pending, active;
  for (int i = 0; i < 3; ++i) {
    pending.push_back(enroll_with(pending_key.json["key"], "p" + std::to_string(i), nullptr)
                          .json["device_id"]
                          .get<std::string>());
    active.push_back(enroll_with(active_key.json["key"], "a" + std::to_string(i), nullptr)
                         .json["device_id"]
                         .get<std::string>());
  }
  DeviceKeys cert_keys;
  auto cert_device = enroll_with(active_key.json["key"], "srv", &cert_keys);
  const std::string srv = cert_device.json["device_id"].get<std::string>();
  ClientCert device_cert{cert_device.json["certificate"].get<std::string>(), cert_keys.key_pem};
  std::string member_device;
  {
    DeviceKeys k = make_device_keys();
    auto b = enroll_body(k, "member-laptop");
    b["login"] = {{"email", users[kMember].email},
                  {"password", users[kMember].password},
                  {"totp", users[kMember].next_code()}};
    ApiClient anon(*c);
    auto r = anon.post("/v1/enroll", b);
    REQUIRE(r.status == 200);
    member_device = r.json["device_id"].get<std::string>();
  }

  std::array<std::string, 4> tokens;
  tokens[kOwner] = setup.token;
  for (int i = 1; i < 4; ++i)
    tokens[i] = login(*c, users[i]);

  const std::string dev = "/v1/admin/devices/";
  const std::string usr = "/v1/admin/users/";
  std::vector<Row> rows = {
      {"GET", fixed("/v1/admin/status"), no_body(), kAll},
      {"GET", fixed("/v1/admin/users"), no_body(), kAll},
      {"POST",
       fixed("/v1/admin/users"),
       [](int i) {
         return nlohmann::json{{"email", std::string("new-") + kCallerNames[i] + "@h.org"},
                               {"role", "member"},
                               {"password", "a-long-enough-password"}};
       },
       {201, 201, 403, 403, 401, 401}},
      {"POST",
       fixed("/v1/admin/users"),
       [](int i) {
         return nlohmann::json{{"email", std::string("owner2-") + kCallerNames[i] + "@h.org"},
                               {"role", "owner"},
                               {"password", "a-long-enough-password"}};
       },
       {201, 403, 403, 403, 401, 401}},
      {"GET", fixed(usr + "target@h.org"), no_body(), {200, 200, 200, 403, 401, 401}},
      {"GET", fixed(usr + "member@h.org"), no_body(), kAll},
      {"GET", fixed(usr + "nobody@h.org"), no_body(), {404, 404, 404, 403, 401, 401}},
      {"POST", fixed(usr + "target@h.org/disable"), no_body(), kManage},
      {"POST", fixed(usr + "target@h.org/enable"), no_body(), kManage},
      {"POST", fixed(usr + "target@h.org/reset-mfa"), no_body(), kManage},
      {"POST", fixed(usr + "target@h.org/role"), same({{"role", "auditor"}}), kManage},
      {"POST",
       fixed(usr + "target@h.org/role"),
       same({{"role", "root"}}),
       {400, 400, 403, 403, 401, 401}},
      {"POST", fixed(usr + "target@h.org/groups"), same({{"groups", {"group:icu"}}}), kManage},
      // Admins cannot change an owner; nobody can demote the last enabled owner (the
      // second owner was demoted just before; an admin may then change that admin).
      {"POST",
       fixed(usr + "owner2-owner@h.org/disable"),
       no_body(),
       {200, 403, 403, 403, 401, 401}},
      {"POST", fixed(usr + "owner2-owner@h.org/enable"), no_body(), {200, 403, 403, 403, 401, 401}},
      {"POST", fixed(usr + "owner2-owner@h.org/role"), same({{"role", "admin"}}), kManage},
      {"POST",
       fixed(usr + "owner@h.org/role"),
       same({{"role", "admin"}}),
       {409, 403, 403, 403, 401, 401}},
      {"GET", fixed("/v1/admin/keys"), no_body(), kAudit},
      {"POST",
       fixed("/v1/admin/keys"),
       same({{"tags", {"tag:m"}}}),
       {201, 201, 403, 403, 401, 401}},
      {"POST",
       per_caller("/v1/admin/keys/" + key_ids[0] + "/revoke",
                  "/v1/admin/keys/" + key_ids[1] + "/revoke",
                  "/v1/admin/keys/" + key_ids[2] + "/revoke"),
       no_body(), kManage},
      {"GET", fixed("/v1/admin/devices"), no_body(), kAll},
      {"GET", fixed(dev + srv), no_body(), {200, 200, 200, 403, 401, 401}},
      {"GET", fixed(dev + member_device), no_body(), kAll},
      {"POST",
       per_caller(dev + pending[0] + "/approve", dev + pending[1] + "/approve",
                  dev + pending[2] + "/approve"),
       no_body(), kManage},
      {"POST",
       per_caller(dev + active[0] + "/quarantine", dev + active[1] + "/quarantine",
                  dev + active[2] + "/quarantine"),
       same({{"reason", "suspicious traffic"}}), kManage},
      {"POST",
       per_caller(dev + active[0] + "/unquarantine", dev + active[1] + "/unquarantine",
                  dev + active[2] + "/unquarantine"),
       no_body(), kManage},
      {"POST",
       per_caller(dev + active[0] + "/expire", dev + active[1] + "/expire",
                  dev + active[2] + "/expire"),
       no_body(), kManage},
      {"POST",
       per_caller(dev + active[0] + "/revoke", dev + active[1] + "/revoke",
                  dev + active[2] + "/revoke"),
       no_body(), kManage},
      // Revoked is final: approving it again is a conflict, after the role check.
      {"POST",
       per_caller(dev + active[0] + "/approve", dev + active[1] + "/approve",
                  dev + active[2] + "/approve"),
       no_body(),
       {409, 409, 403, 403, 401, 401}},
      {"POST", fixed(dev + srv + "/rename"),
       [](int i) {
         return nlohmann::json{{"name", std::string("srv-") + kCallerNames[i]}};
       },
       kManage},
      {"POST", fixed(dev + srv + "/tags"), same({{"tags", {"tag:srv", "tag:ehr"}}}), kManage},
      {"POST",
       fixed(dev + srv + "/tags"),
       same({{"tags", {"ehr"}}}),
       {400, 400, 403, 403, 401, 401}},
      {"GET", fixed(dev + "dev_999999"), no_body(), {404, 404, 404, 403, 401, 401}},
      {"GET", fixed("/v1/admin/audit"), no_body(), kAudit},
      {"GET", fixed("/v1/admin/audit/verify"), no_body(), kAudit},
      {"GET", fixed("/v1/admin/audit/export"), no_body(), kAudit},
      {"POST",
       fixed(usr + "target@h.org/role"),
       same({{"role", "owner"}}),
       {200, 403, 403, 403, 401, 401}},
      {"PUT", fixed("/v1/admin/policy"), same({{"text", kPolicy}}), kManage},
      {"POST", fixed("/v1/admin/policy/check"), same({{"text", kPolicy}}), kAudit},
      {"GET", fixed("/v1/admin/policy"), no_body(), kAudit},
      {"GET", fixed("/v1/admin/policy/history"), no_body(), kAudit},
      {"POST", fixed("/v1/admin/policy/rollback"), same({{"version", 1}}), kManage},
      {"POST", fixed("/v1/admin/policy/test"),
       same({{"src", "tag:srv"}, {"dst", "tag:srv"}, {"port", 443}}), kAudit},
      {"GET", fixed("/v1/admin/netmap/" + srv), no_body(), {200, 200, 200, 403, 401, 401}},
      {"GET", fixed("/v1/admin/netmap/" + member_device), no_body(), kAll},
      {"GET", fixed("/v1/admin/netmap/dev_999999"), no_body(), {404, 404, 404, 403, 401, 401}},
      {"GET", fixed("/v1/admin/inventory"), no_body(), kAudit},
      {"POST", fixed("/v1/admin/logout"), no_body(), {204, 204, 204, 204, 401, 401}},
  };

  for (const Row& row : rows) {
    for (int caller = 0; caller < 6; ++caller) {
      std::unique_ptr<ApiClient> client = caller == kDevice
                                              ? std::make_unique<ApiClient>(*c, &device_cert)
                                              : std::make_unique<ApiClient>(*c);
      if (caller < 4) client->token = tokens[caller];
      const std::string path = row.path(caller);
      const std::string body = row.method != "GET" ? row.body(caller).dump() : "";
      auto r = client->call(row.method, path, body);
      INFO(row.method << " " << path << " as " << kCallerNames[caller] << " -> " << r.status << " "
                      << r.body);
      CHECK(r.status == row.expect[caller]);
      if (r.status >= 400) {
        CHECK(r.json.contains("error"));
      }
    }
  }

  // Members see only their own devices and user in lists.
  ApiClient member(*c);
  member.token = login(*c, users[kMember]);
  auto devices = member.get("/v1/admin/devices");
  REQUIRE(devices.status == 200);
  REQUIRE(devices.json["devices"].size() == 1);
  CHECK(devices.json["devices"][0]["id"] == member_device);
  auto listed = member.get("/v1/admin/users");
  REQUIRE(listed.json["users"].size() == 1);
  CHECK(listed.json["users"][0]["email"] == users[kMember].email);

  // Every refusal is in the audit log.
  ApiClient owner(*c);
  owner.token = login(*c, users[kOwner]);
  auto audit = owner.get("/v1/admin/audit?limit=1000");
  int denied = 0, auth_failures = 0;
  for (auto& e : audit.json["entries"]) {
    if (e["outcome"] == "denied") ++denied;
    if (e["action"] == "session.auth" && e["outcome"] == "failure") ++auth_failures;
  }
  CHECK(denied >= 30);
  CHECK(auth_failures >= 60);
  CHECK(owner.get("/v1/admin/audit/verify").json["ok"] == true);
}
