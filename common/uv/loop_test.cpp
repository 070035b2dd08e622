#include "common/uv/loop.hpp"

#include <atomic>
#include <signal.h>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/uv/async.hpp"
#include "common/uv/signal.hpp"
#include "common/uv/testing.hpp"
#include "common/uv/timer.hpp"

namespace ward::uv {
namespace {

using namespace std::chrono_literals;

TEST_CASE("an empty loop closes clean", "[unit]") {
  Loop loop;
  loop.run();
  WARD_REQUIRE_OK(close_and_check(loop));
  REQUIRE(loop.is_closed());
  WARD_REQUIRE_OK(loop.close());  // idempotent
}

TEST_CASE("close_and_check fails on a handle left open, and still frees it", "[unit]") {
  Loop loop;
  bool fired = false;
  Timer leaked(loop);
  leaked.start(1h, [&fired] { fired = true; });
  Status st = close_and_check(loop);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code() == ErrorCode::kInternal);
  CHECK(st.error().message().find("timer") != std::string::npos);
  CHECK_FALSE(fired);
  // The owner outlives the loop: its methods are inert and its destructor frees the block
  // (ASan reports a leak or use-after-free otherwise).
  CHECK_FALSE(leaked.is_active());
}

TEST_CASE("close_and_check passes once every owner is destroyed", "[unit]") {
  Loop loop;
  {
    Timer a(loop);
    Timer b(loop);
    a.start(1h, [] {});
    REQUIRE(loop.open_handle_count() == 2);
    REQUIRE(loop.open_handle_names() == std::vector<std::string>{"timer", "timer"});
  }
  REQUIRE(loop.open_handle_count() == 0);
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("defer never runs inside the call and keeps FIFO order", "[unit]") {
  Loop loop;
  std::vector<int> order;
  bool in_call = true;
  loop.defer([&] {
    CHECK_FALSE(in_call);
    order.push_back(1);
    loop.defer([&] { order.push_back(3); });  // runs in a later iteration
  });
  loop.defer([&] { order.push_back(2); });
  in_call = false;
  CHECK(order.empty());
  REQUIRE(testing::run_to_completion(loop));
  CHECK(order == std::vector<int>{1, 2, 3});
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("work deferred but never run is dropped when the loop closes", "[unit]") {
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> watch = token;
  {
    Loop loop;
    loop.defer([token] {});
    token.reset();
    WARD_REQUIRE_OK(close_and_check(loop));
  }
  CHECK(watch.expired());
}

TEST_CASE("Async wakes the loop from another thread", "[unit]") {
  Loop loop;
  int calls = 0;
  std::atomic<bool> sent{false};
  {
    Async async(loop, [&] { ++calls; });
    std::thread sender([&] {
      async.send();
      sent = true;
    });
    REQUIRE(testing::run_until(
        loop, [&] { return calls > 0; }, 5s));
    sender.join();
  }
  CHECK(sent);
  CHECK(calls >= 1);
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("Signal delivers a raised signal on the loop thread", "[unit]") {
  Loop loop;
  int got = 0;
  {
    Signal sig(loop);
    WARD_REQUIRE_OK(sig.start(SIGUSR1, [&](int signum) { got = signum; }));
    REQUIRE(::raise(SIGUSR1) == 0);
    CHECK(got == 0);  // not inside raise()
    REQUIRE(testing::run_until(
        loop, [&] { return got != 0; }, 5s));
    CHECK(got == SIGUSR1);
    Signal bad(loop);
    CHECK_FALSE(bad.start(-5, [](int) {}).ok());
  }
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("Loop::close runs close callbacks of handles closed just before", "[unit]") {
  Loop loop;
  {
    Timer t(loop);
    t.start(1h, [] {});
  }  // closing, close callback not yet run
  WARD_REQUIRE_OK(close_and_check(loop));
}

}  // namespace
}  // namespace ward::uv
