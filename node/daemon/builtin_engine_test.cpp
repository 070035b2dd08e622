#include "node/daemon/builtin_engine.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using ward::node::BuiltinEngine;
using namespace std::chrono_literals;

// Starting for real needs root and /dev/net/tun: node_multinode_integration_test and
// node_wg_engine_integration_test cover that. Here: a start that fails (an interface
// name the kernel cannot take) is an error, is retried ever more slowly, and stop() is
// harmless without an engine.
TEST_CASE("builtin engine: failed starts are errors, retried with backoff", "[unit]") {
  std::vector<std::string> warnings;
  BuiltinEngine e("ward-name-far-too-long", "/nonexistent-ward-test",
                  [&](const std::string& w) { warnings.push_back(w); });
  CHECK(e.check_every() == 1s);
  std::vector<std::chrono::milliseconds> intervals;
  for (int i = 0; i < 7; ++i) {
    auto r = e.check();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().to_string().find("starting Ward's WireGuard engine") != std::string::npos);
    intervals.push_back(e.check_every());
  }
  CHECK(intervals == std::vector<std::chrono::milliseconds>{5s, 10s, 20s, 40s, 60s, 60s, 60s});
  CHECK(warnings.empty());  // nothing had stopped: it never started
  CHECK(e.stop().ok());
}
