#include "controller/server/server_cert.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/random.hpp"
#include "common/uv/testing.hpp"
#include "controller/api/context.hpp"
#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::controller {
namespace {

using namespace std::chrono_literals;
using SysClock = std::chrono::system_clock;
using Days = std::chrono::duration<std::int64_t, std::ratio<86400>>;

template <class T>
T must(Result<T> r) {
  INFO((r ? std::string("ok") : r.error().to_string()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

struct Ca {
  crypto::SigningKey key = must(crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256));
  crypto::Certificate cert = must(crypto::create_ca(
      key, "Ward controller CA", std::chrono::hours(24 * 3650), SysClock::now() - Days(800)));
};

TEST_CASE("server certificate: renewal reasons", "[unit]") {
  Ca ca;
  const auto t0 = SysClock::now() - Days(1);
  ServerCert sc = must(issue_server_cert(ca.cert, ca.key, {"ward.example.org", "192.0.2.1"},
                                         kServerCertLifetime, t0));
  CHECK(server_cert_names(sc.cert) == std::vector<std::string>{"ward.example.org", "192.0.2.1"});
  CHECK(sc.cert.common_name() == "ward.example.org");
  const auto expiry = sc.cert.not_after();
  CHECK_FALSE(server_cert_renewal_reason(sc.cert, {}, t0 + Days(1), kServerCertRenewBefore));
  CHECK_FALSE(server_cert_renewal_reason(sc.cert, {}, expiry - Days(31), kServerCertRenewBefore));
  CHECK(server_cert_renewal_reason(sc.cert, {}, expiry - Days(30), kServerCertRenewBefore) ==
        "expires soon");
  CHECK(server_cert_renewal_reason(sc.cert, {}, expiry - 1s, kServerCertRenewBefore) ==
        "expires soon");
  CHECK(server_cert_renewal_reason(sc.cert, {}, expiry, kServerCertRenewBefore) == "expired");
  // Names: same set in another order, case or IP spelling is no change.
  CHECK_FALSE(server_cert_renewal_reason(sc.cert, {"192.0.2.1", "WARD.example.org"}, t0,
                                         kServerCertRenewBefore));
  CHECK(server_cert_renewal_reason(sc.cert, {"ward.example.org"}, t0, kServerCertRenewBefore) ==
        "names changed");
  CHECK(server_cert_renewal_reason(sc.cert, {"ward.example.org", "192.0.2.1", "ward2.example.org"},
                                   t0, kServerCertRenewBefore) == "names changed");
  // Bad names are refused.
  CHECK_FALSE(issue_server_cert(ca.cert, ca.key, {"bad name"}, kServerCertLifetime, t0).ok());
  CHECK_FALSE(issue_server_cert(ca.cert, ca.key, {}, kServerCertLifetime, t0).ok());
}

TEST_CASE("server certificate: renew_server_cert_if_due stores, seals and audits", "[unit]") {
  store::testing::TempDir dir;
  auto st = must(store::open_sqlite_store(dir.file("ward.db")));
  audit::Log log(must(crypto::SigningKey::generate(crypto::KeyType::kEd25519)));
  Ca ca;
  const SecretBytes mk = must(crypto::random_secret(32));
  const auto issued = SysClock::now() - Days(700);
  ServerCert old = must(
      issue_server_cert(ca.cert, ca.key, {"localhost", "127.0.0.1"}, kServerCertLifetime, issued));
  const SecretString old_key = old.key.to_pem();
  REQUIRE(st->transaction([&](store::Tx& tx) -> Status {
              const store::Time t = store::to_time(issued);
              WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerCertPem, old.cert.to_pem(), t));
              WARD_ASSIGN_OR_RETURN(std::string sealed,
                                    seal_to_text(mk, old_key.reveal(), kServerKeyAad));
              return tx.set_setting(setting::kServerKeySealed, sealed, t);
            }).ok());
  auto stored = [&] {
    std::pair<std::string, std::string> out;
    REQUIRE(st->read([&](store::Tx& tx) -> Status {
                out.first = **tx.setting(setting::kServerCertPem);
                out.second = **tx.setting(setting::kServerKeySealed);
                return ok();
              }).ok());
    return out;
  };
  auto audit_count = [&] {
    std::size_t n = 0;
    REQUIRE(st->read([&](store::Tx& tx) -> Status {
                WARD_ASSIGN_OR_RETURN(auto rows, tx.list_audit_rows({}));
                for (const auto& r : rows) {
                  if (r.action == "controller.server_cert.renew") {
                    ++n;
                    CHECK(r.details_json.find("PRIVATE") == std::string::npos);
                  }
                }
                return ok();
              }).ok());
    return n;
  };

  // 700 days into a 730-day certificate: nothing to do yet (30 days left is the edge).
  const auto before = stored();
  auto none = must(renew_server_cert_if_due(*st, log, ca.cert, ca.key, mk, {}, issued + Days(699)));
  CHECK_FALSE(none.has_value());
  CHECK(stored() == before);
  CHECK(audit_count() == 0);

  const auto now = issued + Days(701);
  auto renewed = must(renew_server_cert_if_due(*st, log, ca.cert, ca.key, mk, {}, now));
  REQUIRE(renewed.has_value());
  CHECK(renewed->reason == "expires soon");
  const auto after = stored();
  CHECK(after.first == renewed->cert_pem);
  auto cert = must(crypto::Certificate::from_pem(after.first));
  CHECK(cert.serial_hex() == renewed->serial);
  CHECK(cert.serial_hex() != old.cert.serial_hex());
  CHECK(server_cert_names(cert) == std::vector<std::string>{"localhost", "127.0.0.1"});
  CHECK(cert.not_after() > now + Days(729));
  WARD_REQUIRE_OK(crypto::verify_certificate(cert, ca.cert, now));
  // The sealed key opens with the master key and belongs to the new certificate.
  SecretBytes key_pem = must(open_from_text(mk, after.second, kServerKeyAad));
  auto key = must(crypto::SigningKey::from_pem(
      std::string_view(reinterpret_cast<const char*>(key_pem.data()), key_pem.size())));
  CHECK(key.public_key_pem() == cert.public_key_pem());
  CHECK(key.public_key_pem() != old.key.public_key_pem());
  CHECK(audit_count() == 1);

  // Idempotent: a second check finds nothing to do.
  CHECK_FALSE(must(renew_server_cert_if_due(*st, log, ca.cert, ca.key, mk, {}, now)).has_value());
  // New names force a reissue for them.
  RenewPolicy named;
  named.names = {"ward.hospital.test", "127.0.0.1"};
  auto renamed = must(renew_server_cert_if_due(*st, log, ca.cert, ca.key, mk, named, now));
  REQUIRE(renamed.has_value());
  CHECK(renamed->reason == "names changed");
  CHECK(audit_count() == 2);
}

}  // namespace
}  // namespace ward::controller
