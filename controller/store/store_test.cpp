#include "controller/store/store.hpp"

#include <chrono>
#include <string>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "controller/store/schema.hpp"
#include "controller/store/settings.hpp"
#include "controller/store/sqlite_db.hpp"
#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::store {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const Time kNow = time_from_ms(1'800'000'000'000);

Bytes hash_of(std::uint8_t fill) {
  return Bytes(32, fill);
}

std::unique_ptr<Store> open_store(const std::string& path) {
  auto s = open_sqlite_store(path);
  REQUIRE(s.ok());
  return std::move(s).value();
}

User make_user(const std::string& email, Role role = Role::kMember) {
  User u;
  u.email = email;
  u.display_name = "Alice";
  u.role = role;
  u.groups = {"clinicians", "icu"};
  u.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  return u;
}

Device make_device(const std::string& name, int n) {
  Device d;
  d.name = name;
  d.tags = {"tag:server"};
  d.wg_public_key = "key-" + std::to_string(n);
  d.overlay_v4 = "100.64.0." + std::to_string(n);
  d.overlay_v6 = "fd00::" + std::to_string(n);
  return d;
}

int mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

TEST_CASE("store: a new database has mode 0600, WAL, and the newest schema", "[unit]") {
  TempDir dir;
  std::string path = dir.file("ward.db");
  ::mode_t old = ::umask(0);  // the most permissive umask must still give 0600
  auto store = open_store(path);
  Status wrote = store->transaction([&](Tx& tx) { return tx.set_setting("k", "v", kNow); });
  ::umask(old);
  REQUIRE(wrote.ok());
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path + "-wal") == 0600);
  CHECK(mode_of(path + "-shm") == 0600);

  sqlite::OpenOptions o;
  o.create = false;
  auto conn = sqlite::Connection::open(path, o);
  REQUIRE(conn.ok());
  auto v = schema_version(**conn);
  REQUIRE(v.ok());
  CHECK(*v == static_cast<int>(controller_migrations().size()));
  auto st = (*conn)->prepare("PRAGMA journal_mode");
  REQUIRE(st.ok());
  REQUIRE(*st->step());
  CHECK(st->text(0) == "wal");
  auto fk = (*conn)->prepare("PRAGMA foreign_keys");
  REQUIRE(fk.ok());
  REQUIRE(*fk->step());
  CHECK(fk->int64(0) == 1);
}

TEST_CASE("store: a database readable by others is refused", "[unit]") {
  TempDir dir;
  std::string path = dir.file("ward.db");
  { auto store = open_store(path); }
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto again = open_sqlite_store(path);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code() == ErrorCode::kPermissionDenied);
}

TEST_CASE("store: reopening keeps data and does not re-run migrations", "[unit]") {
  TempDir dir;
  std::string path = dir.file("ward.db");
  {
    auto store = open_store(path);
    REQUIRE(store
                ->transaction([&](Tx& tx) -> Status {
                  return tx.create_user(make_user("alice@example.org"), kNow).ok()
                             ? ok()
                             : Error::internal("x");
                })
                .ok());
  }
  auto store = open_store(path);
  auto users = store->read_value<std::vector<User>>([](Tx& tx) { return tx.list_users(); });
  REQUIRE(users.ok());
  REQUIRE(users->size() == 1);
  CHECK((*users)[0].email == "alice@example.org");
  CHECK((*users)[0].groups == std::vector<std::string>{"clinicians", "icu"});
  CHECK((*users)[0].created_at == kNow);
}

TEST_CASE("store: migrations are atomic and a newer schema is refused", "[unit]") {
  TempDir dir;
  std::string path = dir.file("m.db");
  auto conn = sqlite::Connection::open(path, {});
  REQUIRE(conn.ok());
  const Migration good[] = {{1, "CREATE TABLE a (x INTEGER);"}};
  REQUIRE(migrate(**conn, good).value() == 1);
  // Migration 2 creates a table and then fails: neither the table nor the version bump
  // may survive.
  const Migration bad[] = {{1, "CREATE TABLE a (x INTEGER);"},
                           {2, "CREATE TABLE b (y INTEGER); INSERT INTO nope VALUES (1);"}};
  auto r = migrate(**conn, bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("migration 2") != std::string::npos);
  CHECK(schema_version(**conn).value() == 1);
  auto probe = (*conn)->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'");
  REQUIRE(probe.ok());
  REQUIRE(*probe->step());
  CHECK(probe->int64(0) == 0);

  const Migration two[] = {{1, "CREATE TABLE a (x INTEGER);"}, {2, "CREATE TABLE b (y INTEGER);"}};
  REQUIRE(migrate(**conn, two).value() == 2);
  auto older = migrate(**conn, good);
  REQUIRE_FALSE(older.ok());
  CHECK(older.error().message().find("newer than this binary") != std::string::npos);
}

TEST_CASE("store: a failed transaction leaves nothing behind", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  Status s = store->transaction([&](Tx& tx) -> Status {
    WARD_RETURN_IF_ERROR(tx.create_user(make_user("bob@example.org"), kNow));
    WARD_RETURN_IF_ERROR(tx.create_device(make_device("laptop", 1), kNow));
    WARD_RETURN_IF_ERROR(tx.set_setting("require_device_approval", "true", kNow));
    return Error::invalid_argument("changed my mind");
  });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message() == "changed my mind");
  Status check = store->read([&](Tx& tx) -> Status {
    CHECK(tx.count_users().value() == 0);
    CHECK(tx.list_devices(std::nullopt).value().empty());
    CHECK_FALSE(tx.address_allocated("100.64.0.1").value());
    CHECK_FALSE(tx.setting("require_device_approval").value().has_value());
    return ok();
  });
  REQUIRE(check.ok());

  // An exception inside fn also rolls back and does not escape.
  Status thrown = store->transaction([&](Tx& tx) -> Status {
    (void)tx.create_user(make_user("carol@example.org"), kNow);
    throw std::runtime_error("boom");
  });
  REQUIRE_FALSE(thrown.ok());
  CHECK(thrown.error().code() == ErrorCode::kInternal);
  CHECK(store->read_value<std::int64_t>([](Tx& tx) { return tx.count_users(); }).value() == 0);
}

TEST_CASE("store: read transactions cannot write, transactions do not nest", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  Status s = store->read([&](Tx& tx) -> Status { return tx.set_setting("a", "b", kNow); });
  REQUIRE_FALSE(s.ok());
  Status nested = store->transaction(
      [&](Tx&) -> Status { return store->transaction([](Tx&) { return ok(); }); });
  REQUIRE_FALSE(nested.ok());
  CHECK(nested.error().code() == ErrorCode::kInternal);
  // The store still works afterwards.
  REQUIRE(store->transaction([&](Tx& tx) { return tx.set_setting("a", "b", kNow); }).ok());
  CHECK(store->read_value<std::optional<std::string>>([](Tx& tx) { return tx.setting("a"); })
            .value() == std::optional<std::string>("b"));
}

TEST_CASE("store: users are unique by e-mail regardless of case", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  auto id = store->transaction_value<std::int64_t>(
      [&](Tx& tx) { return tx.create_user(make_user("Alice@Example.org", Role::kOwner), kNow); });
  REQUIRE(id.ok());
  auto dup = store->transaction_value<std::int64_t>(
      [&](Tx& tx) { return tx.create_user(make_user("alice@example.ORG"), kNow); });
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code() == ErrorCode::kAlreadyExists);

  auto found =
      store->read_value<User>([](Tx& tx) { return tx.user_by_email("ALICE@example.org"); });
  REQUIRE(found.ok());
  CHECK(found->id == *id);
  CHECK(found->role == Role::kOwner);
  CHECK(found->totp_secret_sealed.empty());
  CHECK_FALSE(found->totp_last_step.has_value());

  User u = *found;
  u.role = Role::kAuditor;
  u.disabled = true;
  u.groups = {"audit"};
  u.totp_secret_sealed = Bytes{1, 2, 3};
  REQUIRE(store->transaction([&](Tx& tx) { return tx.update_user(u); }).ok());
  auto again = store->read_value<User>([&](Tx& tx) { return tx.user_by_id(*id); });
  REQUIRE(again.ok());
  CHECK(again->role == Role::kAuditor);
  CHECK(again->disabled);
  CHECK(again->groups == std::vector<std::string>{"audit"});
  CHECK(again->totp_secret_sealed == Bytes{1, 2, 3});

  auto missing = store->read_value<User>([](Tx& tx) { return tx.user_by_email("nobody@x.org"); });
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("store: a TOTP step is accepted once and only moving forward", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  auto id = store->transaction_value<std::int64_t>(
      [&](Tx& tx) { return tx.create_user(make_user("a@example.org"), kNow); });
  REQUIRE(id.ok());
  auto advance = [&](std::int64_t step) {
    return store->transaction([&](Tx& tx) { return tx.advance_totp_step(*id, step); });
  };
  REQUIRE(advance(100).ok());
  Status replay = advance(100);
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().code() == ErrorCode::kAlreadyExists);
  CHECK_FALSE(advance(99).ok());
  CHECK(advance(101).ok());
  CHECK(store->transaction([&](Tx& tx) { return tx.advance_totp_step(9999, 5); }).error().code() ==
        ErrorCode::kNotFound);
}

TEST_CASE("store: devices, unique keys and never-reused addresses", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  auto uid = store->transaction_value<std::int64_t>(
      [&](Tx& tx) { return tx.create_user(make_user("a@example.org"), kNow); });
  REQUIRE(uid.ok());
  Device d = make_device("laptop-1", 1);
  d.user_id = *uid;
  d.tags.clear();
  d.posture_json = R"({"disk_encrypted":true})";
  auto id =
      store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.create_device(d, kNow); });
  REQUIRE(id.ok());

  SECTION("lookups") {
    auto by_key =
        store->read_value<Device>([](Tx& tx) { return tx.device_by_public_key("key-1"); });
    REQUIRE(by_key.ok());
    CHECK(by_key->id == *id);
    CHECK(by_key->status == DeviceStatus::kPending);
    CHECK(by_key->user_id == *uid);
    CHECK(by_key->posture_json == R"({"disk_encrypted":true})");
    CHECK(store->read_value<Device>([](Tx& tx) { return tx.device_by_name("LAPTOP-1"); }).ok());
    auto mine =
        store->read_value<std::vector<Device>>([&](Tx& tx) { return tx.list_devices(*uid); });
    REQUIRE(mine.ok());
    CHECK(mine->size() == 1);
    auto theirs =
        store->read_value<std::vector<Device>>([&](Tx& tx) { return tx.list_devices(*uid + 1); });
    CHECK(theirs->empty());
  }
  SECTION("duplicate name or key is refused") {
    Device same_name = make_device("Laptop-1", 2);
    auto r = store->transaction_value<std::int64_t>(
        [&](Tx& tx) { return tx.create_device(same_name, kNow); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kAlreadyExists);
    Device same_key = make_device("other", 3);
    same_key.wg_public_key = "key-1";
    CHECK(store
              ->transaction_value<std::int64_t>(
                  [&](Tx& tx) { return tx.create_device(same_key, kNow); })
              .error()
              .code() == ErrorCode::kAlreadyExists);
  }
  SECTION("a revoked device's address is never handed out again") {
    Device revoked = *store->read_value<Device>([&](Tx& tx) { return tx.device_by_id(*id); });
    revoked.status = DeviceStatus::kRevoked;
    REQUIRE(store->transaction([&](Tx& tx) { return tx.update_device(revoked); }).ok());
    Device reuse = make_device("laptop-2", 9);
    reuse.overlay_v4 = "100.64.0.1";
    auto r = store->transaction_value<std::int64_t>(
        [&](Tx& tx) { return tx.create_device(reuse, kNow); });
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kAlreadyExists);
    CHECK(store->read_value<bool>([](Tx& tx) { return tx.address_allocated("fd00::1"); }).value());
    // The failed create reserved nothing (rolled back).
    CHECK_FALSE(
        store->read_value<bool>([](Tx& tx) { return tx.address_allocated("fd00::9"); }).value());
  }
  SECTION("updates keep addresses fixed and validate JSON") {
    Device u = *store->read_value<Device>([&](Tx& tx) { return tx.device_by_id(*id); });
    u.status = DeviceStatus::kActive;
    u.cert_serial = "0a1b";
    u.cert_not_after = kNow + 24h;
    u.last_seen = kNow + 1s;
    u.endpoints_json = R"(["192.0.2.1:51820"])";
    REQUIRE(store->transaction([&](Tx& tx) { return tx.update_device(u); }).ok());
    auto by_serial =
        store->read_value<Device>([](Tx& tx) { return tx.device_by_cert_serial("0a1b"); });
    REQUIRE(by_serial.ok());
    CHECK(by_serial->status == DeviceStatus::kActive);
    CHECK(by_serial->cert_not_after == kNow + 24h);
    CHECK(by_serial->endpoints_json == R"(["192.0.2.1:51820"])");
    u.posture_json = "[1]";
    CHECK(store->transaction([&](Tx& tx) { return tx.update_device(u); }).error().code() ==
          ErrorCode::kInvalidArgument);
  }
  SECTION("a device needs an owner or a tag") {
    Device orphan = make_device("orphan", 5);
    orphan.tags.clear();
    CHECK_FALSE(store
                    ->transaction_value<std::int64_t>(
                        [&](Tx& tx) { return tx.create_device(orphan, kNow); })
                    .ok());
  }
}

TEST_CASE("store: enrollment keys: single use, reusable with a limit, expiry, revocation",
          "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  auto create = [&](std::uint8_t fill, bool reusable, std::optional<std::int64_t> max_uses) {
    EnrollmentKey k;
    k.key_hash = hash_of(fill);
    k.reusable = reusable;
    k.max_uses = max_uses;
    k.expires_at = kNow + 1h;
    k.tags = {"tag:ward"};
    return store
        ->transaction_value<std::int64_t>([&](Tx& tx) { return tx.create_enrollment_key(k, kNow); })
        .value();
  };
  auto consume = [&](std::uint8_t fill, Time at) {
    return store->transaction_value<EnrollmentKey>(
        [&](Tx& tx) { return tx.consume_enrollment_key(hash_of(fill), at); });
  };

  SECTION("single use") {
    std::int64_t id = create(1, false, std::nullopt);
    auto first = consume(1, kNow);
    REQUIRE(first.ok());
    CHECK(first->id == id);
    CHECK(first->uses == 1);
    CHECK(first->tags == std::vector<std::string>{"tag:ward"});
    auto second = consume(1, kNow);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code() == ErrorCode::kUnauthenticated);
    CHECK(second.error().message().find("used up") != std::string::npos);
  }
  SECTION("reusable with a use limit") {
    create(2, true, 3);
    for (int i = 1; i <= 3; ++i) {
      auto r = consume(2, kNow);
      REQUIRE(r.ok());
      CHECK(r->uses == i);
    }
    CHECK_FALSE(consume(2, kNow).ok());
  }
  SECTION("reusable without a limit") {
    create(3, true, std::nullopt);
    for (int i = 0; i < 10; ++i)
      REQUIRE(consume(3, kNow).ok());
  }
  SECTION("expiry is exclusive of the expiry instant") {
    create(4, true, std::nullopt);
    CHECK(consume(4, kNow + 1h - 1ms).ok());
    auto r = consume(4, kNow + 1h);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("expired") != std::string::npos);
  }
  SECTION("revoked") {
    std::int64_t id = create(5, true, std::nullopt);
    REQUIRE(store->transaction([&](Tx& tx) { return tx.revoke_enrollment_key(id); }).ok());
    auto r = consume(5, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("revoked") != std::string::npos);
    CHECK(store->read_value<EnrollmentKey>([&](Tx& tx) { return tx.enrollment_key_by_id(id); })
              ->revoked);
  }
  SECTION("an enrollment that fails after consuming does not burn the key") {
    create(8, false, std::nullopt);
    Status failed = store->transaction([&](Tx& tx) -> Status {
      WARD_RETURN_IF_ERROR(tx.consume_enrollment_key(hash_of(8), kNow));
      return Error::invalid_argument("bad CSR");  // e.g. the device's CSR was rejected
    });
    REQUIRE_FALSE(failed.ok());
    auto ok_now = consume(8, kNow);
    REQUIRE(ok_now.ok());
    CHECK(ok_now->uses == 1);
  }
  SECTION("unknown key, wrong hash length") {
    auto r = consume(6, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "enrollment key unknown");
    auto bad = store->transaction_value<EnrollmentKey>(
        [&](Tx& tx) { return tx.consume_enrollment_key(Bytes(5, 1), kNow); });
    CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  }
  SECTION("a refused use inside a committed transaction changes nothing") {
    create(7, false, std::nullopt);
    REQUIRE(consume(7, kNow).ok());
    auto keys = store->read_value<std::vector<EnrollmentKey>>(
        [](Tx& tx) { return tx.list_enrollment_keys(); });
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 1);
    CHECK((*keys)[0].uses == 1);
    CHECK((*keys)[0].max_uses == 1);
    CHECK((*keys)[0].last_used_at == kNow);
  }
}

TEST_CASE("store: sessions, settings, login failures, policies", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  auto uid = store
                 ->transaction_value<std::int64_t>(
                     [&](Tx& tx) { return tx.create_user(make_user("a@example.org"), kNow); })
                 .value();
  Session s;
  s.token_hash = hash_of(9);
  s.user_id = uid;
  s.created_at = kNow;
  s.expires_at = kNow + 12h;
  s.last_used_at = kNow;
  s.source = "192.0.2.7";
  auto sid = store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.create_session(s); });
  REQUIRE(sid.ok());
  REQUIRE(store->transaction([&](Tx& tx) { return tx.touch_session(*sid, kNow + 5min); }).ok());
  auto got =
      store->read_value<Session>([](Tx& tx) { return tx.session_by_token_hash(hash_of(9)); });
  REQUIRE(got.ok());
  CHECK(got->last_used_at == kNow + 5min);
  CHECK(got->source == "192.0.2.7");
  CHECK_FALSE(got->revoked);
  CHECK(store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.revoke_user_sessions(uid); })
            .value() == 1);
  CHECK(store->read_value<Session>([](Tx& tx) { return tx.session_by_token_hash(hash_of(9)); })
            ->revoked);
  CHECK(store
            ->transaction_value<std::int64_t>(
                [&](Tx& tx) { return tx.delete_stale_sessions(kNow + 13h); })
            .value() == 1);
  CHECK(store->read_value<Session>([](Tx& tx) { return tx.session_by_token_hash(hash_of(9)); })
            .error()
            .code() == ErrorCode::kNotFound);

  REQUIRE(
      store
          ->transaction([&](Tx& tx) { return tx.set_setting("device_cert_lifetime", "24h", kNow); })
          .ok());
  REQUIRE(
      store->transaction([&](Tx& tx) { return tx.set_setting("device_cert_lifetime", "8h", kNow); })
          .ok());
  CHECK(store
            ->read_value<std::optional<std::string>>(
                [](Tx& tx) { return tx.setting("device_cert_lifetime"); })
            .value() == std::optional<std::string>("8h"));

  auto zero = store->read_value<LoginFailures>([](Tx& tx) { return tx.login_failures("user:a"); });
  REQUIRE(zero.ok());
  CHECK(zero->failures == 0);
  LoginFailures lf{"user:a", 3, kNow, kNow + 1s, kNow + 1min};
  REQUIRE(store->transaction([&](Tx& tx) { return tx.put_login_failures(lf); }).ok());
  auto back = store->read_value<LoginFailures>([](Tx& tx) { return tx.login_failures("user:a"); });
  CHECK(back->failures == 3);
  CHECK(back->locked_until == kNow + 1min);
  REQUIRE(store->transaction([](Tx& tx) { return tx.clear_login_failures("user:a"); }).ok());
  CHECK(store->read_value<LoginFailures>([](Tx& tx) { return tx.login_failures("user:a"); })
            ->failures == 0);

  CHECK(
      store->read_value<PolicyVersion>([](Tx& tx) { return tx.latest_policy(); }).error().code() ==
      ErrorCode::kNotFound);
  PolicyVersion p{0, "{}", hash_of(1), "alice", {}};
  CHECK(store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.insert_policy(p, kNow); })
            .value() == 1);
  p.text = "{\"acls\":[]}";
  CHECK(store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.insert_policy(p, kNow); })
            .value() == 2);
  auto latest = store->read_value<PolicyVersion>([](Tx& tx) { return tx.latest_policy(); });
  CHECK(latest->version == 2);
  CHECK(latest->text == "{\"acls\":[]}");
  CHECK(store->read_value<PolicyVersion>([](Tx& tx) { return tx.policy_by_version(1); })->text ==
        "{}");
  CHECK(store->read_value<std::vector<PolicyVersion>>([](Tx& tx) { return tx.list_policies(); })
            ->size() == 2);
}

TEST_CASE("store: values are bound, never spliced into SQL", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  User u = make_user("x'); DROP TABLE users; --@example.org");
  u.display_name = "Robert'); DELETE FROM users; --";
  auto id = store->transaction_value<std::int64_t>([&](Tx& tx) { return tx.create_user(u, kNow); });
  REQUIRE(id.ok());
  auto back = store->read_value<User>([&](Tx& tx) { return tx.user_by_email(u.email); });
  REQUIRE(back.ok());
  CHECK(back->display_name == u.display_name);
  CHECK(store->read_value<std::int64_t>([](Tx& tx) { return tx.count_users(); }).value() == 1);
  // An empty string_view is "", not NULL.
  REQUIRE(
      store->transaction([&](Tx& tx) { return tx.set_setting("empty", std::string_view(), kNow); })
          .ok());
  CHECK(store->read_value<std::optional<std::string>>([](Tx& tx) { return tx.setting("empty"); })
            .value() == std::optional<std::string>(""));
}

TEST_CASE("store: the schema refuses values outside its domain", "[unit]") {
  TempDir dir;
  std::string path = dir.file("ward.db");
  { auto store = open_store(path); }
  auto conn = sqlite::Connection::open(path, {});
  REQUIRE(conn.ok());
  auto st = (*conn)->prepare(
      "INSERT INTO users (email, role, created_at) VALUES ('x@example.org', 'root', 0)");
  REQUIRE(st.ok());
  CHECK(st->run().error().code() == ErrorCode::kInvalidArgument);
  auto del = (*conn)->prepare("DELETE FROM allocated_addresses");
  REQUIRE(del.ok());
  CHECK(del->run().ok());  // empty table: the trigger has nothing to refuse
  REQUIRE((*conn)->exec("INSERT INTO allocated_addresses VALUES ('100.64.0.9', NULL, 0)").ok());
  auto del2 = (*conn)->prepare("DELETE FROM allocated_addresses");
  REQUIRE(del2.ok());
  CHECK_FALSE(del2->run().ok());
  CHECK(sqlite_integrity_check(path).ok());
}

TEST_CASE("store: typed settings fall back to defaults and fail closed on garbage", "[unit]") {
  TempDir dir;
  auto store = open_store(dir.file("ward.db"));
  Status s = store->transaction([&](Tx& tx) -> Status {
    CHECK(bool_setting(tx, kRequireDeviceApproval, true).value());
    CHECK(seconds_setting(tx, kDeviceCertLifetime, std::chrono::hours(24)).value() ==
          std::chrono::hours(24));
    WARD_RETURN_IF_ERROR(set_bool_setting(tx, kRequireDeviceApproval, false, kNow));
    WARD_RETURN_IF_ERROR(set_seconds_setting(tx, kDeviceCertLifetime, std::chrono::hours(8), kNow));
    CHECK_FALSE(bool_setting(tx, kRequireDeviceApproval, true).value());
    CHECK(seconds_setting(tx, kDeviceCertLifetime, std::chrono::hours(24)).value() ==
          std::chrono::hours(8));
    CHECK_FALSE(set_seconds_setting(tx, kDeviceCertLifetime, std::chrono::seconds(0), kNow).ok());
    WARD_RETURN_IF_ERROR(tx.set_setting(kRequireDeviceApproval, "yes", kNow));
    WARD_RETURN_IF_ERROR(tx.set_setting(kDeviceCertLifetime, "8h", kNow));
    CHECK(bool_setting(tx, kRequireDeviceApproval, true).error().code() == ErrorCode::kCorruption);
    CHECK(seconds_setting(tx, kDeviceCertLifetime, std::chrono::hours(24)).error().code() ==
          ErrorCode::kCorruption);
    return ok();
  });
  REQUIRE(s.ok());
}

}  // namespace
}  // namespace ward::store
