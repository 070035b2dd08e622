#include "common/uv/work_queue.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "common/uv/testing.hpp"
#include "common/uv/timer.hpp"

using namespace ward;
using namespace std::chrono_literals;

TEST_CASE("WorkQueue runs work on a pool thread and done on the loop thread", "[unit]") {
  uv::Loop loop;
  {
    uv::WorkQueue queue(loop);
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id work_thread;
    std::thread::id done_thread;
    bool done = false;
    WARD_REQUIRE_OK(queue.submit([&] { work_thread = std::this_thread::get_id(); },
                                 [&] {
                                   done_thread = std::this_thread::get_id();
                                   done = true;
                                 }));
    CHECK_FALSE(done);  // never inside submit()
    REQUIRE(uv::testing::run_until(loop, [&] { return done; }));
    CHECK(work_thread != loop_thread);
    CHECK(done_thread == loop_thread);
    CHECK(queue.running() == 0);
  }
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}

TEST_CASE("WorkQueue bounds concurrency and refuses a full backlog", "[unit]") {
  uv::Loop loop;
  {
    uv::WorkQueue queue(loop, {.max_running = 2, .max_queued = 3});
    std::atomic<int> now_running{0};
    std::atomic<int> peak{0};
    std::vector<int> finished;
    auto job = [&] {
      const int n = ++now_running;
      int p = peak.load();
      while (n > p && !peak.compare_exchange_weak(p, n)) {
      }
      std::this_thread::sleep_for(50ms);
      --now_running;
    };
    for (int i = 0; i < 5; ++i) {
      WARD_REQUIRE_OK(queue.submit(job, [&finished, i] { finished.push_back(i); }));
    }
    CHECK(queue.running() == 2);
    CHECK(queue.queued() == 3);
    Status full = queue.submit(job, [] {});
    REQUIRE_FALSE(full.ok());
    CHECK(full.error().code() == ErrorCode::kUnavailable);
    REQUIRE(uv::testing::run_until(loop, [&] { return finished.size() == 5; }));
    CHECK(peak.load() == 2);
    std::sort(finished.begin(), finished.end());
    CHECK(finished == std::vector<int>{0, 1, 2, 3, 4});  // each completion exactly once
  }
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}

TEST_CASE("WorkQueue keeps the loop responsive while a job runs", "[unit]") {
  uv::Loop loop;
  {
    uv::WorkQueue queue(loop, {.max_running = 1, .max_queued = 4});
    bool done = false;
    int ticks = 0;
    WARD_REQUIRE_OK(queue.submit([] { std::this_thread::sleep_for(300ms); }, [&] { done = true; }));
    uv::Timer timer(loop);
    timer.start(10ms, 10ms, [&] { ++ticks; });
    REQUIRE(uv::testing::run_until(loop, [&] { return done; }));
    timer.stop();
    CHECK(ticks >= 10);  // a blocked loop would have seen none until the job ended
  }
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}

TEST_CASE("WorkQueue destroyed with jobs in flight skips their completions", "[unit]") {
  uv::Loop loop;
  auto captured = std::make_shared<int>(7);
  std::weak_ptr<int> watch = captured;
  std::atomic<int> ran{0};
  bool done_called = false;
  {
    uv::WorkQueue queue(loop, {.max_running = 1, .max_queued = 4});
    WARD_REQUIRE_OK(queue.submit(
        [&ran, c = captured] {
          std::this_thread::sleep_for(50ms);
          ++ran;
        },
        [&] { done_called = true; }));
    WARD_REQUIRE_OK(queue.submit([&ran, c = captured] { ++ran; }, [&] { done_called = true; }));
    captured.reset();
  }
  // The waiting job was dropped at once; the running one still finishes on its thread.
  loop.run();
  CHECK(ran.load() == 1);
  CHECK_FALSE(done_called);
  CHECK(watch.expired());  // every closure was destroyed
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}
