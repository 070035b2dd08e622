// The controller renews its own TLS server certificate without a restart: a certificate
// about to expire is replaced from the controller CA (stored and audited), new clients
// get the new one, and connections opened before (a netmap stream, a keep-alive admin
// connection) keep working. Also at startup, and when the configured names change.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/crypto/x509.hpp"
#include "common/tls/listener.hpp"
#include "common/uv/testing.hpp"
#include "controller/api/context.hpp"
#include "controller/server/data_dir.hpp"
#include "controller/server/server_cert.hpp"
#include "controller/server/test_controller.hpp"
#include "controller/store/sqlite_store.hpp"

namespace ward::controller::testing {
namespace {

using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;

constexpr const char* kPassword = "correct horse battery staple 42";

// The certificate a fresh client is shown (verified against the pinned CA, for the name
// 127.0.0.1); nullopt if the handshake fails.
std::optional<crypto::Certificate> presented_cert(const TestController& c,
                                                  const std::string& name = "127.0.0.1") {
  tls::TlsConfig config;
  config.role = tls::Role::kClient;
  config.ca_pem = c.ca_pem;
  config.server_name = name;
  auto ctx = tls::TlsContext::create(config);
  REQUIRE(ctx.ok());
  uv::Loop loop;
  std::optional<Result<uv::ByteStreamPtr>> got;
  tls::connect_tls(loop, "127.0.0.1", c.port, *ctx,
                   [&](Result<uv::ByteStreamPtr> r) { got.emplace(std::move(r)); });
  REQUIRE(uv::testing::run_until(loop, [&] { return got.has_value(); }));
  std::optional<crypto::Certificate> out;
  if (got->ok()) {
    auto der = (**got)->peer_certificate_der();
    REQUIRE(der.has_value());
    auto cert = crypto::Certificate::from_der(*der);
    REQUIRE(cert.ok());
    out = *cert;
    (**got)->abort();
  }
  got.reset();
  uv::testing::run_to_completion(loop, 5s);
  (void)loop.close();
  return out;
}

// Replaces the stored server certificate (and key) with one from the controller's CA that
// expires in `lifetime`, as if it had been issued long ago. Returns its serial.
std::string plant_server_cert(const TestController& c, std::chrono::seconds lifetime) {
  auto mk = read_master_key(c.data_dir);
  REQUIRE(mk.ok());
  auto store = store::open_sqlite_store(c.db_path(), {.create = false});
  REQUIRE(store.ok());
  std::string serial;
  Status s = (*store)->transaction([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(std::optional<std::string> ca_pem, tx.setting(setting::kCaCertPem));
    WARD_ASSIGN_OR_RETURN(std::optional<std::string> sealed, tx.setting(setting::kCaKeySealed));
    if (!ca_pem || !sealed) return Error::not_found("CA settings");
    WARD_ASSIGN_OR_RETURN(crypto::Certificate ca, crypto::Certificate::from_pem(*ca_pem));
    WARD_ASSIGN_OR_RETURN(SecretBytes key_pem, open_from_text(*mk, *sealed, kCaKeyAad));
    WARD_ASSIGN_OR_RETURN(crypto::SigningKey ca_key,
                          crypto::SigningKey::from_pem(std::string_view(
                              reinterpret_cast<const char*>(key_pem.data()), key_pem.size())));
    WARD_ASSIGN_OR_RETURN(ServerCert cert, issue_server_cert(ca, ca_key, {"localhost", "127.0.0.1"},
                                                             lifetime, SysClock::now()));
    const SecretString pem = cert.key.to_pem();
    WARD_ASSIGN_OR_RETURN(std::string sealed_key, seal_to_text(*mk, pem.reveal(), kServerKeyAad));
    const store::Time now = store::to_time(SysClock::now());
    WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerCertPem, cert.cert.to_pem(), now));
    WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerKeySealed, sealed_key, now));
    serial = cert.cert.serial_hex();
    return ok();
  });
  INFO((s.ok() ? std::string() : s.error().to_string()));
  REQUIRE(s.ok());
  return serial;
}

// Polls until a fresh client is shown a certificate whose serial is none of `not`.
crypto::Certificate wait_for_new_cert(const TestController& c,
                                      const std::vector<std::string>& not_serials) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto cert = presented_cert(c);
    REQUIRE(cert.has_value());
    if (std::find(not_serials.begin(), not_serials.end(), cert->serial_hex()) ==
        not_serials.end()) {
      return *cert;
    }
    std::this_thread::sleep_for(200ms);
  }
  FAIL("the controller never presented a renewed certificate");
  throw std::logic_error("unreachable");
}

std::vector<nlohmann::json> renewals(ApiClient& admin) {
  auto r = admin.get("/v1/admin/audit?limit=1000");
  REQUIRE(r.status == 200);
  std::vector<nlohmann::json> out;
  for (auto& e : r.json["entries"])
    if (e["action"] == "controller.server_cert.renew") out.push_back(e);
  return out;
}

struct Deployment {
  std::unique_ptr<TestController> c =
      TestController::start("", {"--server-cert-check-interval", "1s"});
  TotpUser owner{"owner@hospital.org", kPassword, "", 0};
  std::unique_ptr<ApiClient> admin;

  Deployment() {
    admin = std::make_unique<ApiClient>(*c);
    admin->token = bootstrap_owner(*c, owner);
  }

  ClientCert enroll(const std::string& tag, const std::string& host) {
    return enroll_tagged(*c, *admin, tag, host).cert();
  }
};

TEST_CASE("a server certificate about to expire is renewed while serving", "[integration]") {
  Deployment d;
  const ClientCert ehr = d.enroll("tag:ehr", "ehr");
  const ClientCert clin = d.enroll("tag:clin", "clin");

  auto original = presented_cert(*d.c);
  REQUIRE(original.has_value());
  CHECK(original->not_after() > SysClock::now() + std::chrono::hours(24 * 700));
  CHECK(renewals(*d.admin).empty());

  // Connections opened before the renewal.
  StreamClient stream(*d.c, clin);
  REQUIRE(stream.status() == 200);
  auto first = stream.next(10s);
  REQUIRE(first.has_value());
  CHECK((*first)["type"] == "netmap");

  // The stored certificate now expires in 10 days (as if issued ~2 years ago).
  const std::string planted = plant_server_cert(*d.c, std::chrono::hours(24 * 10));
  const auto t_plant = SysClock::now();
  crypto::Certificate renewed = wait_for_new_cert(*d.c, {original->serial_hex(), planted});
  CHECK(renewed.serial_hex() != original->serial_hex());
  CHECK(renewed.not_after() != original->not_after());
  CHECK(renewed.not_after() > t_plant + std::chrono::hours(24 * 729));
  CHECK(server_cert_names(renewed) == std::vector<std::string>{"localhost", "127.0.0.1"});
  // Still verifies for its DNS name too.
  auto by_name = presented_cert(*d.c, "localhost");
  REQUIRE(by_name.has_value());
  CHECK(by_name->serial_hex() == renewed.serial_hex());

  // Audited once, naming both certificates; nothing secret in it.
  auto entries = renewals(*d.admin);  // over the keep-alive connection opened before
  REQUIRE(entries.size() == 1);
  const auto& details = entries[0]["details"];
  CHECK(details["reason"] == "expires soon");
  CHECK(details["old_serial"] == planted);
  CHECK(details["serial"] == renewed.serial_hex());
  CHECK(entries[0]["details"].dump().find("PRIVATE KEY") == std::string::npos);

  // The stream opened before still delivers: a policy change reaches it.
  auto put = d.admin->call("PUT", "/v1/admin/policy", nlohmann::json{{"text", R"({
  "tagOwners": {"tag:ehr": ["owner@hospital.org"], "tag:clin": ["owner@hospital.org"]},
  "acls": [{"action": "accept", "src": ["tag:clin"], "dst": ["tag:ehr:443"]}],
})"}}.dump());
  INFO(put.body);
  REQUIRE(put.status == 200);
  std::optional<nlohmann::json> update;
  for (int i = 0; i < 10 && !update; ++i) {
    auto m = stream.next(5s);
    REQUIRE(m.has_value());
    if ((*m)["type"] != "keepalive") update = m;
  }
  REQUIRE(update.has_value());
  // A full netmap or a delta, whichever is smaller: either way it adds the ehr peer.
  if ((*update)["type"] == "netmap") {
    CHECK((*update)["peers"].size() == 1);
  } else {
    CHECK((*update)["type"] == "delta");
    CHECK((*update)["peers_upsert"].size() == 1);
  }
  CHECK_FALSE(stream.ended());

  // No further renewal while the new certificate is far from expiry.
  std::this_thread::sleep_for(2500ms);
  CHECK(renewals(*d.admin).size() == 1);
  CHECK(presented_cert(*d.c)->serial_hex() == renewed.serial_hex());

  // A device connecting fresh (mTLS) is served with the new certificate.
  StreamClient fresh(*d.c, ehr);
  CHECK(fresh.status() == 200);
  CHECK(d.c->logs().find("server certificate renewed") != std::string::npos);
}

TEST_CASE("the server certificate is renewed at startup and when its names change",
          "[integration]") {
  Deployment d;
  auto original = presented_cert(*d.c);
  REQUIRE(original.has_value());
  REQUIRE(d.c->stop_gracefully() == 0);

  // Expired while the controller was down: renewed before the first connection.
  const std::string planted = plant_server_cert(*d.c, std::chrono::seconds(1));
  std::this_thread::sleep_for(1500ms);
  d.c->serve();
  auto at_start = presented_cert(*d.c);
  REQUIRE(at_start.has_value());  // an expired certificate would fail verification
  CHECK(at_start->serial_hex() != planted);
  CHECK(at_start->serial_hex() != original->serial_hex());
  CHECK(at_start->not_after() > SysClock::now() + std::chrono::hours(24 * 729));

  // A new name is configured: reissued at once, carrying it.
  REQUIRE(d.c->stop_gracefully() == 0);
  d.c->serve_args = {"--name",    "localhost", "--name",
                     "127.0.0.1", "--name",    "controller.hospital.test"};
  d.c->serve();
  auto renamed = presented_cert(*d.c, "controller.hospital.test");
  REQUIRE(renamed.has_value());
  CHECK(renamed->serial_hex() != at_start->serial_hex());
  CHECK(server_cert_names(*renamed) ==
        std::vector<std::string>{"localhost", "controller.hospital.test", "127.0.0.1"});
  // Restarting with the same names changes nothing.
  REQUIRE(d.c->stop_gracefully() == 0);
  d.c->serve();
  CHECK(presented_cert(*d.c)->serial_hex() == renamed->serial_hex());

  ApiClient admin(*d.c);
  admin.token = login(*d.c, d.owner);
  auto entries = renewals(admin);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["details"]["reason"] == "expired");
  CHECK(entries[1]["details"]["reason"] == "names changed");
  CHECK(entries[0]["actor"].dump().find("system") != std::string::npos);
}

}  // namespace
}  // namespace ward::controller::testing
