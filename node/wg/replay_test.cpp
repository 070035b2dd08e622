#include "node/wg/replay.hpp"

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

// The sequence of the Linux driver's selftest/counter.c, check by check.
TEST_CASE("replay window follows the kernel counter selftest", "[unit]") {
  ReplayWindow w;
  constexpr std::uint64_t kLim = kCounterWindowSize + 1;
  constexpr std::uint64_t kRej = kRejectAfterMessages;
  struct Step {
    std::uint64_t n;
    bool v;
  };
  const Step steps[] = {
      {0, true},                       // 1
      {1, true},                       // 2
      {1, false},                      // 3
      {9, true},                       // 4
      {8, true},                       // 5
      {7, true},                       // 6
      {7, false},                      // 7
      {kLim, true},                    // 8
      {kLim - 1, true},                // 9
      {kLim - 1, false},               // 10
      {kLim - 2, true},                // 11
      {2, true},                       // 12
      {2, false},                      // 13
      {kLim + 16, true},               // 14
      {3, false},                      // 15
      {kLim + 16, false},              // 16
      {kLim * 4, true},                // 17
      {kLim * 4 - (kLim - 1), true},   // 18
      {10, false},                     // 19
      {kLim * 4 - kLim, false},        // 20
      {kLim * 4 - (kLim + 1), false},  // 21
      {kLim * 4 - (kLim - 2), true},   // 22
      {kLim * 4 + 1 - kLim, false},    // 23
      {0, false},                      // 24
      {kRej, false},                   // 25
      {kRej - 1, true},                // 26
      {kRej, false},                   // 27
      {kRej - 1, false},               // 28
      {kRej - 2, true},                // 29
      {kRej + 1, false},               // 30
      {kRej + 2, false},               // 31
      {kRej - 2, false},               // 32
      {kRej - 3, true},                // 33
      {0, false},                      // 34
  };
  int num = 0;
  for (const Step& s : steps) {
    ++num;
    INFO("selftest step " << num << " counter " << s.n);
    CHECK(w.validate(s.n) == s.v);
  }
}

TEST_CASE("replay window sweeps: whole window forwards, backwards and at its edge", "[unit]") {
  ReplayWindow w;
  SECTION("1..window then 0") {
    for (std::uint64_t i = 1; i <= kCounterWindowSize; ++i)
      REQUIRE(w.validate(i));
    CHECK(w.validate(0));
    CHECK_FALSE(w.validate(0));
  }
  SECTION("2..window+1 then 1 fits, 0 falls out") {
    for (std::uint64_t i = 2; i <= kCounterWindowSize + 1; ++i)
      REQUIRE(w.validate(i));
    CHECK(w.validate(1));
    CHECK_FALSE(w.validate(0));
  }
  SECTION("window..0 descending") {
    for (std::uint64_t i = kCounterWindowSize + 1; i-- > 0;)
      REQUIRE(w.validate(i));
  }
  SECTION("window+1..1 descending, then 0 is out") {
    for (std::uint64_t i = kCounterWindowSize + 2; i-- > 1;)
      REQUIRE(w.validate(i));
    CHECK_FALSE(w.validate(0));
  }
  SECTION("window..1 descending, then window+1, then 0 is out") {
    for (std::uint64_t i = kCounterWindowSize + 1; i-- > 1;)
      REQUIRE(w.validate(i));
    CHECK(w.validate(kCounterWindowSize + 1));
    CHECK_FALSE(w.validate(0));
  }
  SECTION("window..1 descending, 0, then window+1") {
    for (std::uint64_t i = kCounterWindowSize + 1; i-- > 1;)
      REQUIRE(w.validate(i));
    CHECK(w.validate(0));
    CHECK(w.validate(kCounterWindowSize + 1));
  }
}

TEST_CASE("replay window reset forgets everything", "[unit]") {
  ReplayWindow w;
  CHECK(w.validate(5));
  CHECK_FALSE(w.validate(5));
  w.reset();
  CHECK(w.validate(5));
}

TEST_CASE("replay window: a big jump clears the whole bitmap", "[unit]") {
  ReplayWindow w;
  for (std::uint64_t i = 0; i < 100; ++i)
    REQUIRE(w.validate(i));
  const std::uint64_t far = 1'000'000;
  CHECK(w.validate(far));
  // Counters just inside the new window were never seen even though their bit positions
  // were used before the jump.
  for (std::uint64_t i = far - 50; i < far; ++i)
    CHECK(w.validate(i));
  CHECK_FALSE(w.validate(far - kCounterWindowSize - 1));
}

}  // namespace
}  // namespace ward::wg
