// Test support for code on a ward::uv::Loop (header-only; include from tests only).
//
//   uv::Loop loop;
//   ... set up handles ...
//   REQUIRE(uv::testing::run_until(loop, [&] { return done; }));
//   ... destroy owners ...
//   WARD_REQUIRE_OK(uv::close_and_check(loop));   // fails on a leaked handle
#pragma once

#include <chrono>
#include <functional>

#include <catch2/catch.hpp>

#include "common/base/result.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/timer.hpp"

// REQUIREs that a Status/Result is ok, printing its error otherwise.
#define WARD_REQUIRE_OK(expr)                                                    \
  do {                                                                           \
    const auto& ward_req_ok_ = (expr);                                           \
    INFO((ward_req_ok_ ? std::string("ok") : ward_req_ok_.error().to_string())); \
    REQUIRE(ward_req_ok_.ok());                                                  \
  } while (false)

namespace ward::uv::testing {

// Runs the loop until done() is true or `limit` has passed; returns done(). Whatever
// happens, the loop is left with no handle of its own open.
inline bool run_until(Loop& loop, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  bool expired = false;
  {
    Timer guard(loop);
    guard.start(limit, [&expired] { expired = true; });
    while (!done() && !expired)
      loop.run_once();
  }
  return done();
}

// Runs the loop until nothing is left to do, bounded by `limit`; false if it hit the limit
// (something stayed active).
inline bool run_to_completion(Loop& loop,
                              std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  bool expired = false;
  Timer guard(loop);
  guard.set_keeps_loop_alive(false);
  guard.start(limit, [&expired, &loop] {
    expired = true;
    loop.stop();
  });
  loop.run();
  return !expired;
}

}  // namespace ward::uv::testing
