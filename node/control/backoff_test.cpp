#include "node/control/backoff.hpp"

#include <random>

#include <catch2/catch.hpp>

#include "node/control/renewal.hpp"

using namespace ward::node::control;
using namespace std::chrono;
using namespace std::chrono_literals;

TEST_CASE("backoff ceilings double from base up to the cap", "[unit]") {
  Backoff b({.base = 500ms, .cap = 60s, .healthy_after = 30s}, [] { return ~std::uint64_t{0}; });
  const auto t = Backoff::Clock::time_point{} + 1h;
  std::vector<milliseconds> ceilings;
  for (int i = 0; i < 10; ++i) {
    ceilings.push_back(b.ceiling());
    b.next_delay(t);
  }
  REQUIRE(ceilings == std::vector<milliseconds>{500ms, 1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s});
  for (int i = 0; i < 100; ++i)
    b.next_delay(t);  // no overflow after many failures
  REQUIRE(b.ceiling() == 60s);
}

TEST_CASE("full jitter: delays cover [0, ceiling] and never exceed it", "[unit]") {
  std::mt19937_64 rng(7);
  Backoff b({.base = 1s, .cap = 60s, .healthy_after = 30s}, [&] { return rng(); });
  const auto t = Backoff::Clock::time_point{} + 1h;
  milliseconds lo = 1h, hi = 0ms;
  for (int i = 0; i < 2000; ++i) {
    const auto ceil = b.ceiling();
    const auto d = b.next_delay(t);
    REQUIRE(d >= 0ms);
    REQUIRE(d <= ceil);
    if (ceil == 60s) {
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
  }
  REQUIRE(lo < 3s);   // jitter reaches near zero...
  REQUIRE(hi > 57s);  // ...and near the cap
  // Scripted extremes: rng 0 gives 0; rng == ceiling gives exactly the ceiling.
  Backoff c({.base = 1s, .cap = 60s, .healthy_after = 30s}, [] { return std::uint64_t{0}; });
  REQUIRE(c.next_delay(t) == 0ms);
  Backoff d({.base = 1s, .cap = 60s, .healthy_after = 30s}, [] { return std::uint64_t{1000}; });
  REQUIRE(d.next_delay(t) == 1000ms);
  REQUIRE(d.next_delay(t) == 1000ms);  // 1000 % 2001
  REQUIRE(d.ceiling() == 4s);
}

TEST_CASE("backoff resets only after a healthy period", "[unit]") {
  Backoff b({.base = 1s, .cap = 60s, .healthy_after = 30s}, [] { return std::uint64_t{0}; });
  auto t = Backoff::Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i)
    b.next_delay(t);
  REQUIRE(b.ceiling() == 32s);
  b.connected(t);
  b.next_delay(t + 29s);  // dropped before it was healthy: exponent keeps growing
  REQUIRE(b.ceiling() == 60s);
  b.connected(t + 40s);
  b.next_delay(t + 70s);  // healthy for 30 s: reset, then this failure counts once
  REQUIRE(b.failures() == 1);
  REQUIRE(b.ceiling() == 2s);
}

TEST_CASE("renewal at two thirds of the lifetime, retried with backoff", "[unit]") {
  const SysTime nb = SysTime{} + hours(24 * 20000);
  const SysTime na = nb + hours(24 * 30);
  REQUIRE(renewal_time(nb, na) == nb + hours(24 * 20));
  REQUIRE(renewal_time(na, nb) == na);
  RenewalSchedule s(nb, na, [] { return ~std::uint64_t{0}; });
  REQUIRE(s.next_attempt() == nb + hours(24 * 20));
  REQUIRE_FALSE(s.due(nb + hours(24 * 20) - 1s));
  REQUIRE(s.due(nb + hours(24 * 20)));
  const SysTime now = nb + hours(24 * 20);
  s.failed(now);
  const auto first = s.next_attempt() - now;
  REQUIRE(first > 0s);
  REQUIRE(first <= 5s);
  s.failed(now);
  REQUIRE(s.next_attempt() - now <= 10s);
  for (int i = 0; i < 20; ++i)
    s.failed(now);
  REQUIRE(s.next_attempt() - now <= minutes(10));
  s.renewed(now, now + hours(24 * 30));
  REQUIRE(s.next_attempt() == now + hours(24 * 20));
  REQUIRE(s.not_after() == now + hours(24 * 30));
  s.failed(now + hours(24 * 20));
  REQUIRE(s.next_attempt() - (now + hours(24 * 20)) <= 5s);  // backoff was reset
}
