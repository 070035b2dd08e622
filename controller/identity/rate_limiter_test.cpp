#include "controller/identity/rate_limiter.hpp"

#include <vector>

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

namespace ward::identity {
namespace {

using namespace std::chrono_literals;
const store::Time kT1 = store::time_from_ms(1'800'000'000'000);

TEST_CASE("rate limiter: concurrent attempts allowed shrink with failures", "[unit]") {
  LockoutPolicy p;  // threshold 5
  store::LoginFailures r;
  r.key = "user:a";
  CHECK(concurrent_attempts_allowed(r, kT1, p) == 5);
  for (int i = 0; i < 3; ++i)
    r = after_failure(r, kT1, p);
  CHECK(concurrent_attempts_allowed(r, kT1, p) == 2);
  r = after_failure(r, kT1, p);
  CHECK(concurrent_attempts_allowed(r, kT1, p) == 1);
  r = after_failure(r, kT1, p);  // locked for 1 min
  CHECK(concurrent_attempts_allowed(r, kT1, p) == 0);
  CHECK(concurrent_attempts_allowed(r, kT1 + 60s, p) == 1);  // one try after the lockout
  CHECK(concurrent_attempts_allowed(r, kT1 + 25h, p) == 5);  // forgotten
}

TEST_CASE("rate limiter: admission counts checks in flight as failures to be", "[unit]") {
  store::testing::TempDir dir;
  auto st = store::open_sqlite_store(dir.file("adm.db"));
  REQUIRE(st.ok());
  LoginThrottle throttle;
  InFlightLogins in_flight;
  auto admit = [&](std::string_view email, std::string_view source, store::Time now) {
    Admission out;
    REQUIRE((*st)
                ->transaction([&](store::Tx& tx) -> Status {
                  WARD_ASSIGN_OR_RETURN(out, throttle.admit(tx, email, source, now, in_flight));
                  return ok();
                })
                .ok());
    return out.kind;
  };
  // Five parallel guesses for one user are admitted, the sixth is not (threshold 5).
  std::vector<InFlightLogins::Ticket> tickets;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(admit("a@example.org", "192.0.2.1", kT1) == Admission::Kind::kAdmitted);
    tickets.push_back(in_flight.acquire(LoginThrottle::user_key("a@example.org"),
                                        LoginThrottle::source_key("192.0.2.1")));
  }
  CHECK(admit("A@example.org", "192.0.2.1", kT1) == Admission::Kind::kBusy);
  CHECK(admit("b@example.org", "192.0.2.1", kT1) == Admission::Kind::kAdmitted);
  // Releasing one ticket (its result recorded) frees a slot.
  tickets.pop_back();
  CHECK(in_flight.count(LoginThrottle::user_key("a@example.org")) == 4);
  CHECK(admit("a@example.org", "192.0.2.1", kT1) == Admission::Kind::kAdmitted);
  // Recorded failures shrink the allowance, and a lockout refuses as locked.
  tickets.clear();
  CHECK(in_flight.count(LoginThrottle::user_key("a@example.org")) == 0);
  REQUIRE((*st)
              ->transaction([&](store::Tx& tx) -> Status {
                for (int i = 0; i < 5; ++i) {
                  WARD_RETURN_IF_ERROR(
                      throttle.record_failure(tx, "a@example.org", "192.0.2.1", kT1));
                }
                return ok();
              })
              .ok());
  CHECK(admit("a@example.org", "192.0.2.9", kT1) == Admission::Kind::kLocked);
  auto ticket = in_flight.acquire(LoginThrottle::user_key("a@example.org"), "src:x");
  CHECK(admit("a@example.org", "192.0.2.9", kT1 + 60s) == Admission::Kind::kBusy);
  ticket.release();
  CHECK(admit("a@example.org", "192.0.2.9", kT1 + 60s) == Admission::Kind::kAdmitted);
}

}  // namespace
}  // namespace ward::identity
