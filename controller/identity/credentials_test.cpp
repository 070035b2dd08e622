#include "controller/identity/credentials.hpp"

#include <catch2/catch.hpp>

#include "controller/identity/tokens.hpp"
#include "controller/identity/totp.hpp"
#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::identity {
namespace {

using namespace std::chrono_literals;
const store::Time kT0 = store::time_from_ms(1'800'000'000'000);

TEST_CASE("credentials: sessions expire absolutely and when idle", "[unit]") {
  auto s = issue_session(7, "192.0.2.7", kT0);
  REQUIRE(s.ok());
  CHECK(check_token_format(TokenKind::kSession, s->token.reveal()).ok());
  CHECK(token_matches(s->token.reveal(), s->record.token_hash));
  CHECK(s->record.expires_at == kT0 + 12h);
  store::Session r = s->record;
  CHECK(check_session(r, kT0 + 29min).ok());
  CHECK(check_session(r, kT0 + 30min).error().message() == "session idle too long");
  r.last_used_at = kT0 + 11h + 50min;
  CHECK(check_session(r, kT0 + 11h + 59min).ok());
  CHECK(check_session(r, kT0 + 12h).error().message() == "session expired");
  r.revoked = true;
  CHECK(check_session(r, kT0 + 1min).error().message() == "session revoked");
}

TEST_CASE("credentials: an issued enrollment key works once through the store", "[unit]") {
  EnrollmentKeyRequest req;
  req.tags = {"tag:server"};
  auto k = issue_enrollment_key(req, kT0);
  REQUIRE(k.ok());
  CHECK(k->key.reveal().substr(0, 4) == "wek_");
  CHECK(k->record.max_uses == 1);
  CHECK(k->record.expires_at == kT0 + 1h);

  store::testing::TempDir dir;
  auto st = store::open_sqlite_store(dir.file("k.db"));
  REQUIRE(st.ok());
  REQUIRE((*st)
              ->transaction([&](store::Tx& tx) -> Status {
                WARD_RETURN_IF_ERROR(tx.create_enrollment_key(k->record, kT0));
                return ok();
              })
              .ok());
  // The presented key text is hashed and consumed.
  std::string presented(k->key.reveal());
  auto use = [&] {
    return (*st)->transaction_value<store::EnrollmentKey>([&](store::Tx& tx) {
      return tx.consume_enrollment_key(token_hash(presented), kT0 + 1min);
    });
  };
  REQUIRE(use().ok());
  CHECK_FALSE(use().ok());

  req.max_uses = 3;
  CHECK_FALSE(issue_enrollment_key(req, kT0).ok());  // limit on a single-use key
  req.reusable = true;
  req.max_uses = 0;
  CHECK_FALSE(issue_enrollment_key(req, kT0).ok());
  req.max_uses.reset();
  req.lifetime = 0ms;
  CHECK_FALSE(issue_enrollment_key(req, kT0).ok());
}

TEST_CASE("credentials: a TOTP code logs in once (verify + compare-and-set step)", "[unit]") {
  store::testing::TempDir dir;
  auto st = store::open_sqlite_store(dir.file("t.db"));
  REQUIRE(st.ok());
  SecretBytes secret = generate_totp_secret().value();
  store::User u;
  u.email = "alice@example.org";
  auto uid =
      (*st)->transaction_value<std::int64_t>([&](store::Tx& tx) { return tx.create_user(u, kT0); });
  REQUIRE(uid.ok());
  std::string code(hotp_code(secret, totp_step(kT0)).value().reveal());
  // The login flow: read last step, verify, record the step in the same transaction.
  auto login = [&](store::Time now) {
    return (*st)->transaction([&](store::Tx& tx) -> Status {
      WARD_ASSIGN_OR_RETURN(store::User user, tx.user_by_id(*uid));
      WARD_ASSIGN_OR_RETURN(std::int64_t step, verify_totp(secret, code, now, user.totp_last_step));
      return tx.advance_totp_step(user.id, step);
    });
  };
  REQUIRE(login(kT0).ok());
  Status replay = login(kT0 + 10s);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().message() == "TOTP code already used");
}

}  // namespace
}  // namespace ward::identity
