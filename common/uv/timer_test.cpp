#include "common/uv/timer.hpp"

#include <memory>
#include <optional>
#include <vector>

#include <catch2/catch.hpp>

#include "common/uv/testing.hpp"

namespace ward::uv {
namespace {

using namespace std::chrono_literals;

TEST_CASE("timers fire in deadline order", "[unit]") {
  Loop loop;
  std::vector<int> order;
  {
    Timer t30(loop), t10(loop), t20(loop), t0(loop);
    t30.start(30ms, [&] { order.push_back(30); });
    t10.start(10ms, [&] { order.push_back(10); });
    t20.start(20ms, [&] { order.push_back(20); });
    t0.start(0ms, [&] { order.push_back(0); });
    CHECK(order.empty());  // never inside start()
    REQUIRE(testing::run_to_completion(loop));
    CHECK_FALSE(t10.is_active());
  }
  CHECK(order == std::vector<int>{0, 10, 20, 30});
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("a repeating timer repeats until stopped from its callback", "[unit]") {
  Loop loop;
  int ticks = 0;
  {
    Timer t(loop);
    t.start(1ms, 2ms, [&] {
      if (++ticks == 5) t.stop();
    });
    REQUIRE(testing::run_to_completion(loop));
  }
  CHECK(ticks == 5);
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("destroying a timer from inside its callback is safe", "[unit]") {
  Loop loop;
  int calls = 0;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  std::optional<Timer> t(std::in_place, loop);
  t->start(1ms, 1ms, [&, token] {
    ++calls;
    t.reset();  // destroys the owner and the running callback's slot
  });
  token.reset();
  REQUIRE(testing::run_to_completion(loop));
  CHECK(calls == 1);
  WARD_REQUIRE_OK(close_and_check(loop));
  CHECK(watch.expired());  // the callback and its captures were freed
}

TEST_CASE("restarting a timer from inside its callback replaces the callback", "[unit]") {
  Loop loop;
  std::vector<std::string> seen;
  {
    Timer t(loop);
    t.start(1ms, [&] {
      seen.push_back("first");
      t.start(1ms, [&] { seen.push_back("second"); });
    });
    REQUIRE(testing::run_to_completion(loop));
  }
  CHECK(seen == std::vector<std::string>{"first", "second"});
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("a stopped or destroyed timer never fires", "[unit]") {
  Loop loop;
  bool fired = false;
  Timer stopped(loop);
  stopped.start(1ms, [&] { fired = true; });
  stopped.stop();
  {
    Timer destroyed(loop);
    destroyed.start(1ms, [&] { fired = true; });
  }
  Timer moved_from(loop);
  moved_from.start(1ms, [&] { fired = true; });
  Timer moved_to = std::move(moved_from);
  moved_to.stop();
  REQUIRE(testing::run_to_completion(loop));
  CHECK_FALSE(fired);
  {
    Timer drop = std::move(stopped);
    Timer drop2 = std::move(moved_to);
  }
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("Loop::now advances with the loop", "[unit]") {
  Loop loop;
  auto start = loop.now();
  bool done = false;
  {
    Timer t(loop);
    t.start(20ms, [&] { done = true; });
    REQUIRE(testing::run_to_completion(loop));
  }
  CHECK(done);
  CHECK(loop.now() - start >= 19ms);
  WARD_REQUIRE_OK(close_and_check(loop));
}

}  // namespace
}  // namespace ward::uv
