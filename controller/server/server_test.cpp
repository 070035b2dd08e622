// Integration tests against a real `ward-controller serve` on loopback: bootstrap and
// MFA login, enrollment by key and by login and everything that must be refused (and
// audited), the mTLS node API, secrets kept out of logs and list output, graceful stop
// and crash safety.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "common/tls/listener.hpp"
#include "common/tls/test_pki.hpp"
#include "common/uv/testing.hpp"
#include "controller/server/test_controller.hpp"
#include "controller/store/sqlite_store.hpp"

using namespace ward;
using namespace ward::controller::testing;

namespace {

const std::string kOwnerPassword = "owner-correct-horse-1";
const std::string kMemberPassword = "member-battery-staple-2";

struct Setup {
  std::unique_ptr<TestController> c = TestController::start();
  TotpUser owner{"owner@hospital.org", kOwnerPassword, "", 0};
  std::string owner_token;
};

void bootstrap(Setup& s) {
  ApiClient client(*s.c);
  auto r = client.post("/v1/admin/bootstrap", {{"bootstrap_token", s.c->bootstrap_token},
                                               {"email", s.owner.email},
                                               {"display_name", "Owner"},
                                               {"password", s.owner.password}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json["user"]["role"] == "owner");
  CHECK(r.json["user"]["mfa_enrolled"] == true);
  s.owner.uri = r.json["totp_uri"].get<std::string>();
  s.owner_token = login(*s.c, s.owner);
}

// The audit entries with this action, oldest first (read through the API as the owner).
std::vector<nlohmann::json> audit_entries(Setup& s, const std::string& action) {
  ApiClient client(*s.c);
  client.token = s.owner_token;
  std::vector<nlohmann::json> out;
  std::int64_t after = 0;
  for (;;) {
    auto r = client.get("/v1/admin/audit?after=" + std::to_string(after) + "&limit=1000");
    REQUIRE(r.status == 200);
    for (auto& e : r.json["entries"]) {
      if (e["action"] == action) out.push_back(e);
    }
    if (r.json["next"].is_null()) break;
    after = r.json["next"].get<std::int64_t>();
  }
  return out;
}

bool has_failure(const std::vector<nlohmann::json>& entries, const std::string& reason_part) {
  for (const auto& e : entries) {
    if (e["outcome"] != "success" && e["details"].dump().find(reason_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string create_key(Setup& s, nlohmann::json body, std::int64_t* id = nullptr) {
  ApiClient client(*s.c);
  client.token = s.owner_token;
  auto r = client.post("/v1/admin/keys", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
  if (id != nullptr) *id = r.json["info"]["id"].get<std::int64_t>();
  return r.json["key"].get<std::string>();
}

void sql(const std::string& db, const std::string& statement) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  INFO((err != nullptr ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("controller: bootstrap and MFA login and their refusals", "[integration]") {
  Setup s;
  {
    ApiClient client(*s.c);
    auto wrong =
        client.post("/v1/admin/bootstrap", {{"bootstrap_token", "wbt_" + std::string(43, 'A')},
                                            {"email", "x@h.org"},
                                            {"display_name", "X"},
                                            {"password", "some-long-password"}});
    CHECK(wrong.status == 401);
    // Errors the HTTP layer answers by itself keep the API's JSON error shape.
    auto unknown = client.get("/v1/admin/no-such-thing");
    CHECK(unknown.status == 404);
    CHECK(unknown.json["error"]["code"] == "not_found");
    auto method = client.call("DELETE", "/v1/admin/login");
    CHECK(method.status == 405);
    CHECK(method.json["error"]["code"] == "invalid_argument");
  }
  bootstrap(s);
  ApiClient client(*s.c);
  // The bootstrap token works once.
  auto again = client.post("/v1/admin/bootstrap", {{"bootstrap_token", s.c->bootstrap_token},
                                                   {"email", "y@h.org"},
                                                   {"display_name", "Y"},
                                                   {"password", "some-long-password"}});
  CHECK(again.status == 401);

  // Wrong TOTP, wrong password, unknown user: one answer for all.
  auto bad_totp =
      client.post("/v1/admin/login",
                  {{"email", s.owner.email}, {"password", s.owner.password}, {"totp", "000000"}});
  CHECK(bad_totp.status == 401);
  CHECK(bad_totp.json["error"]["message"] == "invalid email, password or code");
  auto bad_pw = client.post(
      "/v1/admin/login",
      {{"email", s.owner.email}, {"password", "wrong-password-123"}, {"totp", "123456"}});
  CHECK(bad_pw.status == 401);
  CHECK(bad_pw.json["error"]["message"] == "invalid email, password or code");

  // A replayed code: log in with a fresh code, then present the same code again.
  const std::string code = s.owner.next_code();
  auto first =
      client.post("/v1/admin/login",
                  {{"email", s.owner.email}, {"password", s.owner.password}, {"totp", code}});
  REQUIRE(first.status == 200);
  auto replay =
      client.post("/v1/admin/login",
                  {{"email", s.owner.email}, {"password", s.owner.password}, {"totp", code}});
  CHECK(replay.status == 401);

  // Strict bodies: an unknown field is named.
  auto unknown =
      client.post("/v1/admin/login", {{"email", s.owner.email}, {"passwd", "x"}, {"totp", "1"}});
  CHECK(unknown.status == 400);
  CHECK(unknown.json["error"]["message"].get<std::string>().find("$.") != std::string::npos);

  // Sessions: logout revokes the token.
  ApiClient session(*s.c);
  session.token = first.json["token"].get<std::string>();
  CHECK(session.get("/v1/admin/status").status == 200);
  CHECK(session.post("/v1/admin/logout").status == 204);
  CHECK(session.get("/v1/admin/status").status == 401);

  auto logins = audit_entries(s, "user.login");
  CHECK(has_failure(logins, "bad totp"));
  CHECK(has_failure(logins, "bad password"));
  CHECK(has_failure(logins, "replayed totp"));
  CHECK(has_failure(audit_entries(s, "controller.bootstrap"), "wrong bootstrap token"));
  CHECK(has_failure(audit_entries(s, "controller.bootstrap"), "bootstrap already done"));
}

TEST_CASE("controller: enrollment and the node API and secrets", "[integration]") {
  Setup s;
  bootstrap(s);
  ApiClient admin(*s.c);
  admin.token = s.owner_token;
  std::vector<std::string> secrets = {s.owner.password, s.c->bootstrap_token, s.owner_token};

  // A member who enrolls by password + TOTP.
  auto created = admin.post("/v1/admin/users", {{"email", "clin1@hospital.org"},
                                                {"display_name", "Clinician"},
                                                {"role", "member"},
                                                {"groups", {"group:icu"}},
                                                {"password", kMemberPassword}});
  REQUIRE(created.status == 201);
  TotpUser member{"clin1@hospital.org", kMemberPassword,
                  created.json["totp_uri"].get<std::string>(), 0};
  secrets.push_back(kMemberPassword);

  // Enrollment by a single-use, pre-approved, tagged key.
  const std::string key = create_key(s, {{"tags", {"tag:ehr"}}, {"preapproved", true}});
  secrets.push_back(key);
  DeviceKeys ehr = make_device_keys();
  ApiClient anon(*s.c);
  auto enrolled = anon.post("/v1/enroll", [&] {
    auto b = enroll_body(ehr, "ehr-server.hospital.org");
    b["enroll_key"] = key;
    return b;
  }());
  INFO(enrolled.body);
  REQUIRE(enrolled.status == 200);
  CHECK(enrolled.json["status"] == "active");
  CHECK(enrolled.json["name"] == "ehr-server");
  CHECK(enrolled.json["addresses"].size() == 2);
  CHECK(enrolled.json["ca"] == s.c->ca_pem);
  ClientCert ehr_cert{enrolled.json["certificate"].get<std::string>(), ehr.key_pem};
  secrets.push_back(std::string(ehr.key_pem.reveal()));

  // The same key again: used up.
  DeviceKeys other = make_device_keys();
  auto reuse = anon.post("/v1/enroll", [&] {
    auto b = enroll_body(other, "other");
    b["enroll_key"] = key;
    return b;
  }());
  CHECK(reuse.status == 401);

  // Expired key (expiry moved into the past in the database) and revoked key.
  std::int64_t expired_id = 0;
  const std::string expired = create_key(s, {{"tags", {"tag:x"}}}, &expired_id);
  sql(s.c->db_path(),
      "UPDATE enrollment_keys SET expires_at = 1000 WHERE id = " + std::to_string(expired_id));
  std::int64_t revoked_id = 0;
  const std::string revoked = create_key(s, {{"tags", {"tag:x"}}}, &revoked_id);
  REQUIRE(admin.post("/v1/admin/keys/" + std::to_string(revoked_id) + "/revoke").status == 200);
  for (const std::string& k : {expired, revoked}) {
    auto b = enroll_body(other, "other");
    b["enroll_key"] = k;
    CHECK(anon.post("/v1/enroll", b).status == 401);
  }
  secrets.push_back(expired);
  secrets.push_back(revoked);

  // Concurrent enrollment with one single-use key: exactly one device.
  {
    const std::string race_key = create_key(s, {{"tags", {"tag:race"}}, {"preapproved", true}});
    secrets.push_back(race_key);
    uv::Loop loop;
    tls::TlsConfig config;
    config.role = tls::Role::kClient;
    config.ca_pem = s.c->ca_pem;
    config.server_name = "127.0.0.1";
    auto ctx = tls::TlsContext::create(config);
    REQUIRE(ctx.ok());
    std::shared_ptr<tls::TlsContext> shared = *ctx;
    const std::uint16_t port = s.c->port;
    std::vector<std::unique_ptr<http::Client>> clients;
    std::vector<int> statuses;
    for (int i = 0; i < 6; ++i) {
      clients.push_back(std::make_unique<http::Client>(loop, [&loop, port, shared](auto done) {
        tls::connect_tls(loop, "127.0.0.1", port, shared, std::move(done));
      }));
      DeviceKeys k = make_device_keys();
      auto b = enroll_body(k, "race-" + std::to_string(i));
      b["enroll_key"] = race_key;
      http::Request req;
      req.method = "POST";
      req.target = "/v1/enroll";
      req.headers.set("Host", "localhost");
      req.body = b.dump();
      clients.back()->send(
          std::move(req), [&](Result<http::Response> r) { statuses.push_back(r ? r->status : 0); });
    }
    REQUIRE(uv::testing::run_until(
        loop, [&] { return statuses.size() == 6; }, std::chrono::seconds(60)));
    clients.clear();
    uv::testing::run_to_completion(loop);
    (void)loop.close();
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 401) == 5);
    auto devices = admin.get("/v1/admin/devices");
    int race_devices = 0;
    for (auto& d : devices.json["devices"]) {
      if (d["tags"].dump().find("tag:race") != std::string::npos) ++race_devices;
    }
    CHECK(race_devices == 1);
  }

  // Enrollment by login: pending until approved (require_device_approval defaults on).
  DeviceKeys laptop = make_device_keys();
  auto by_login = anon.post("/v1/enroll", [&] {
    auto b = enroll_body(laptop, "Clin1-Laptop");
    b["login"] = {
        {"email", member.email}, {"password", member.password}, {"totp", member.next_code()}};
    return b;
  }());
  INFO(by_login.body);
  REQUIRE(by_login.status == 200);
  CHECK(by_login.json["status"] == "pending");
  const std::string laptop_id = by_login.json["device_id"].get<std::string>();
  // A wrong TOTP for enrollment is refused too.
  {
    auto b = enroll_body(make_device_keys(), "x");
    b["login"] = {{"email", member.email}, {"password", member.password}, {"totp", "000000"}};
    CHECK(anon.post("/v1/enroll", b).status == 401);
  }

  // mTLS node API: renew, posture; an old certificate stops working after renewal.
  {
    ApiClient node(*s.c, &ehr_cert);
    auto renewed = node.post("/v1/renew", {{"csr", ehr.csr}});
    INFO(renewed.body);
    REQUIRE(renewed.status == 200);
    ClientCert fresh{renewed.json["certificate"].get<std::string>(), ehr.key_pem};
    ApiClient stale(*s.c, &ehr_cert);
    CHECK(stale.post("/v1/renew", {{"csr", ehr.csr}}).status == 401);
    ApiClient node2(*s.c, &fresh);
    CHECK(node2
              .post("/v1/posture", {{"facts", {{"node:os", "debian"}, {"disk:encrypted", true}}},
                                    {"endpoints", {"192.0.2.10:51820"}}})
              .status == 204);
    {
      // The stream opens with the full map; with no policy stored nothing is allowed.
      StreamClient stream(*s.c, fresh);
      REQUIRE(stream.status() == 200);
      auto first = stream.next(std::chrono::seconds(10));
      REQUIRE(first);
      CHECK((*first)["type"] == "netmap");
      CHECK((*first)["peers"].empty());
      CHECK((*first)["filter"]["inbound"].empty());
      // The superseded certificate cannot open it.
      StreamClient old_cert(*s.c, ehr_cert);
      CHECK(old_cert.status() == 401);
    }
    // A node cannot reach admin endpoints, even with a valid certificate.
    CHECK(node2.get("/v1/admin/status").status == 401);
    CHECK(node2.get("/v1/admin/devices").status == 401);
    // Revoked: renew is refused.
    auto ehr_id = enrolled.json["device_id"].get<std::string>();
    REQUIRE(admin.post("/v1/admin/devices/" + ehr_id + "/revoke", {{"reason", "stolen"}}).status ==
            200);
    CHECK(node2.post("/v1/renew", {{"csr", ehr.csr}}).status == 403);
    auto shown = admin.get("/v1/admin/devices/" + ehr_id);
    CHECK(shown.json["status"] == "revoked");
    CHECK(shown.json["posture"]["disk:encrypted"] == true);
  }
  // No certificate on a node endpoint: 401.
  CHECK(anon.post("/v1/posture", {{"facts", nlohmann::json::object()}}).status == 401);
  // A certificate from another CA is refused at the TLS handshake: no HTTP answer.
  {
    tls::testing::TestPki rogue("rogue ca");
    auto leaf = rogue.client(laptop_id);
    ClientCert fake{leaf.cert_pem, leaf.key_pem};
    ApiClient impostor(*s.c, &fake);
    auto r = impostor.post("/v1/renew", {{"csr", laptop.csr}});
    CHECK(r.status == 0);
  }
  // Pending laptop approved by an admin.
  CHECK(admin.post("/v1/admin/devices/" + laptop_id + "/approve").status == 200);
  CHECK(admin.post("/v1/admin/devices/" + laptop_id + "/approve").status == 409);

  auto enrolls = audit_entries(s, "device.enroll");
  CHECK(has_failure(enrolls, "used up"));
  CHECK(has_failure(enrolls, "expired"));
  CHECK(has_failure(enrolls, "revoked"));
  CHECK(has_failure(audit_entries(s, "device.enroll.login"), "bad totp"));
  CHECK(has_failure(audit_entries(s, "device.auth"), "superseded"));

  // No secret in logs, list output or the audit export.
  std::string outputs = s.c->logs();
  for (const char* path :
       {"/v1/admin/users", "/v1/admin/keys", "/v1/admin/devices", "/v1/admin/audit?limit=1000",
        "/v1/admin/audit/export", "/v1/admin/status"}) {
    auto r = admin.get(path);
    CHECK(r.status == 200);
    outputs += r.body;
  }
  secrets.push_back(member.uri.substr(member.uri.find("secret=") + 7, 32));
  secrets.push_back(s.owner.uri.substr(s.owner.uri.find("secret=") + 7, 32));
  for (const std::string& secret : secrets) {
    INFO("secret of length " << secret.size());
    CHECK(outputs.find(secret) == std::string::npos);
  }
  CHECK(outputs.find("PRIVATE KEY") == std::string::npos);
  CHECK(outputs.find("wst_") == std::string::npos);
  CHECK(outputs.find("wbt_") == std::string::npos);

  auto verify = admin.get("/v1/admin/audit/verify");
  CHECK(verify.json["ok"] == true);
  CHECK(s.c->stop_gracefully() == 0);
  CHECK(store::sqlite_integrity_check(s.c->db_path()).ok());
}

TEST_CASE("controller: kill -9 during a burst of writes loses nothing committed", "[integration]") {
  Setup s;
  bootstrap(s);
  std::atomic<int> created{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    ApiClient client(*s.c);
    client.token = s.owner_token;
    while (!stop) {
      auto r = client.post("/v1/admin/keys", {{"tags", {"tag:burst"}}});
      if (r.status != 201) break;
      ++created;
    }
  });
  while (created < 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  s.c->kill9();
  stop = true;
  writer.join();

  REQUIRE(store::sqlite_integrity_check(s.c->db_path()).ok());
  s.c->serve();
  s.owner_token = login(*s.c, s.owner);
  ApiClient client(*s.c);
  client.token = s.owner_token;
  auto keys = client.get("/v1/admin/keys");
  REQUIRE(keys.status == 200);
  CHECK(static_cast<int>(keys.json["keys"].size()) >= created.load());
  auto verify = client.get("/v1/admin/audit/verify");
  INFO(verify.body);
  CHECK(verify.json["ok"] == true);
  CHECK(verify.json["problems"].empty());
}

TEST_CASE("init: file modes and refusal to overwrite and recovery from an interrupted init",
          "[integration]") {
  char tmpl[] = "/tmp/ward-init-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string root = tmpl;
  const std::string dir = root + "/data";
  const std::string init = std::string(WARD_CONTROLLER_BIN) + " init --data-dir " + dir + " > " +
                           root + "/out.txt 2> " + root + "/err.txt";
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  // Leftovers of an interrupted init (no ward.db): init starts over.
  std::filesystem::create_directories(dir + "/.init");
  { std::ofstream(dir + "/.init/ward.db") << "half-written"; }
  { std::ofstream(dir + "/master.key") << "stale"; }
  { std::ofstream(dir + "/ca.pem") << "stale"; }
  REQUIRE(std::system(init.c_str()) == 0);
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((dir + "/master.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 32);
  REQUIRE(::stat((dir + "/ward.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(std::filesystem::exists(dir + "/.init"));
  // The CA certificate is published for admins and nodes to pin; it is the database's.
  REQUIRE(::stat((dir + "/ca.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  const std::string ca_file = slurp(dir + "/ca.pem");
  CHECK(ca_file.rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
  CHECK(ca_file.find("PRIVATE") == std::string::npos);
  CHECK(slurp(dir + "/ward.db").find(ca_file.substr(30, 60)) != std::string::npos);
  const std::string out = slurp(root + "/out.txt");
  CHECK(out.find(dir + "/ca.pem") != std::string::npos);
  CHECK(out.find("wbt_") != std::string::npos);
  // The token is on stdout only, and stored only as a hash.
  const std::string token = out.substr(out.find("wbt_"), 47);
  CHECK(slurp(root + "/err.txt").find(token) == std::string::npos);
  CHECK(slurp(dir + "/ward.db").find(token) == std::string::npos);
  CHECK(slurp(dir + "/ward.db").find("PRIVATE KEY") == std::string::npos);

  // A second init refuses and changes nothing.
  const std::string key_before = slurp(dir + "/master.key");
  CHECK(std::system(init.c_str()) != 0);
  CHECK(slurp(root + "/err.txt").find("already holds a controller") != std::string::npos);
  CHECK(slurp(dir + "/master.key") == key_before);

  // A directory with anything else in it is refused too.
  const std::string other = root + "/other";
  std::filesystem::create_directories(other);
  { std::ofstream(other + "/notes.txt") << "x"; }
  const std::string init_other =
      std::string(WARD_CONTROLLER_BIN) + " init --data-dir " + other + " > /dev/null 2>&1";
  CHECK(std::system(init_other.c_str()) != 0);
  CHECK_FALSE(std::filesystem::exists(other + "/ward.db"));
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}
