#include "controller/identity/rate_limiter.hpp"

#include <catch2/catch.hpp>

#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::identity {
namespace {

using namespace std::chrono_literals;
const store::Time kT0 = store::time_from_ms(1'800'000'000'000);

TEST_CASE("rate limiter: 5 failures lock for 1 min, doubling, capped", "[unit]") {
  LockoutPolicy p;
  store::LoginFailures r;
  r.key = "user:a";
  store::Time t = kT0;
  for (int i = 1; i <= 4; ++i) {
    r = after_failure(r, t, p);
    CHECK(r.failures == i);
    CHECK_FALSE(lockout_remaining(r, t).has_value());
  }
  r = after_failure(r, t, p);
  REQUIRE(lockout_remaining(r, t).has_value());
  CHECK(*lockout_remaining(r, t) == 1min);
  CHECK(*lockout_remaining(r, t + 59s) == 1s);
  CHECK_FALSE(lockout_remaining(r, t + 60s).has_value());
  t += 60s;
  r = after_failure(r, t, p);  // 6th
  CHECK(*lockout_remaining(r, t) == 2min);
  t += 2min;
  r = after_failure(r, t, p);  // 7th
  CHECK(*lockout_remaining(r, t) == 4min);
  for (int i = 0; i < 20; ++i) {
    t += 2h;
    r = after_failure(r, t, p);
  }
  CHECK(*lockout_remaining(r, t) == 1h);  // capped
  CHECK(r.first_failure_at == kT0);
  // A failure long after the previous one starts over.
  t += 25h;
  r = after_failure(r, t, p);
  CHECK(r.failures == 1);
  CHECK(r.first_failure_at == t);
  CHECK_FALSE(lockout_remaining(r, t).has_value());
}

TEST_CASE("rate limiter: per user and per source, persisted across restarts", "[unit]") {
  store::testing::TempDir dir;
  std::string path = dir.file("rl.db");
  LoginThrottle throttle;
  auto run = [&](auto fn) {
    auto s = store::open_sqlite_store(path);  // a fresh "controller process" each time
    REQUIRE(s.ok());
    return (*s)->transaction(fn);
  };
  for (int i = 0; i < 5; ++i) {
    REQUIRE(run([&](store::Tx& tx) {
              return throttle.check(tx, "Alice@example.org", "192.0.2.1", kT0);
            }).ok());
    REQUIRE(run([&](store::Tx& tx) {
              return throttle.record_failure(tx, "Alice@example.org", "192.0.2.1", kT0);
            }).ok());
  }
  // Locked for the user (any source, any case of the e-mail), after a restart.
  Status locked = run([&](store::Tx& tx) {
    return throttle.check(tx, "alice@EXAMPLE.org", "198.51.100.9", kT0 + 10s);
  });
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().code() == ErrorCode::kUnavailable);
  CHECK(locked.error().message() == "too many failed logins; try again in 50 s");
  // Another user from the same source is not locked yet (source threshold is 20).
  CHECK(run([&](store::Tx& tx) {
          return throttle.check(tx, "bob@example.org", "192.0.2.1", kT0 + 10s);
        }).ok());
  // Lock expires.
  CHECK(run([&](store::Tx& tx) {
          return throttle.check(tx, "alice@example.org", "192.0.2.1", kT0 + 60s);
        }).ok());
  // Success resets the user count, not the source count.
  REQUIRE(
      run([&](store::Tx& tx) { return throttle.record_success(tx, "alice@example.org"); }).ok());
  auto s = store::open_sqlite_store(path);
  REQUIRE(s.ok());
  auto user = (*s)->read_value<store::LoginFailures>(
      [](store::Tx& tx) { return tx.login_failures("user:alice@example.org"); });
  CHECK(user->failures == 0);
  auto src = (*s)->read_value<store::LoginFailures>(
      [](store::Tx& tx) { return tx.login_failures("src:192.0.2.1"); });
  CHECK(src->failures == 5);

  // 20 failures from one source lock that source for every user.
  for (int i = 0; i < 15; ++i) {
    REQUIRE((*s)->transaction([&](store::Tx& tx) {
                  return throttle.record_failure(tx, "user" + std::to_string(i) + "@example.org",
                                                 "192.0.2.1", kT0 + 61s);
                })
                .ok());
  }
  CHECK_FALSE((*s)->transaction([&](store::Tx& tx) {
                    return throttle.check(tx, "carol@example.org", "192.0.2.1", kT0 + 62s);
                  })
                  .ok());
  CHECK((*s)->transaction([&](store::Tx& tx) {
              return throttle.check(tx, "carol@example.org", "192.0.2.2", kT0 + 62s);
            })
            .ok());
  auto remaining = (*s)->read_value<std::optional<std::chrono::milliseconds>>([&](store::Tx& tx) {
    return throttle.locked_for(tx, "carol@example.org", "192.0.2.1", kT0 + 62s);
  });
  REQUIRE(remaining.ok());
  CHECK(*remaining == std::optional<std::chrono::milliseconds>(59s));
}

}  // namespace
}  // namespace ward::identity
