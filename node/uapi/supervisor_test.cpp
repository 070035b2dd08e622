#include "node/uapi/supervisor.hpp"

#include <map>
#include <set>

#include <catch2/catch.hpp>

using namespace ward::node::uapi;

namespace {

// Simulated processes: a spawned process "serves" the socket once alive.
struct FakeRunner final : ProcessRunner {
  ward::Result<int> spawn(const std::vector<std::string>& argv) override {
    spawned.push_back(argv);
    if (fail_spawn) return ward::Error::io("spawn failed");
    const int pid = next_pid++;
    alive.insert(pid);
    return pid;
  }
  ward::Result<bool> exited(int pid) override { return alive.count(pid) == 0; }
  ward::Status terminate(int pid, std::chrono::milliseconds) override {
    terminated.push_back(pid);
    alive.erase(pid);
    return ward::ok();
  }
  std::vector<std::vector<std::string>> spawned;
  std::vector<int> terminated;
  std::set<int> alive;
  int next_pid = 100;
  bool fail_spawn = false;
};

WireGuardGoSupervisor::Options fast() {
  WireGuardGoSupervisor::Options o;
  o.start_timeout = std::chrono::milliseconds(100);
  o.poll_interval = std::chrono::milliseconds(1);
  return o;
}

}  // namespace

TEST_CASE("supervisor: starts, leaves a serving process alone, restarts a dead one", "[unit]") {
  FakeRunner runner;
  bool foreign = false;
  auto probe = [&](const std::string& path) {
    CHECK(path == "/var/run/wireguard/wgs0.sock");
    return foreign || !runner.alive.empty();
  };
  WireGuardGoSupervisor sup("wgs0", runner, fast(), probe);
  auto r = sup.check();
  REQUIRE(r);
  CHECK(*r == SuperviseResult::kStarted);
  REQUIRE(runner.spawned.size() == 1);
  CHECK(runner.spawned[0] == std::vector<std::string>{"wireguard-go", "-f", "wgs0"});
  CHECK(sup.child_pid() == 100);

  CHECK(sup.check().value() == SuperviseResult::kServing);
  CHECK(runner.spawned.size() == 1);

  runner.alive.clear();  // it died
  auto again = sup.check();
  REQUIRE(again);
  CHECK(*again == SuperviseResult::kRestarted);
  CHECK(sup.child_pid() == 101);

  REQUIRE(sup.stop());
  CHECK(runner.terminated == std::vector<int>{101});
  CHECK_FALSE(sup.child_pid().has_value());

  // Someone else serves the socket: nothing is started.
  FakeRunner r2;
  foreign = true;
  WireGuardGoSupervisor other("wgs0", r2, fast(), probe);
  CHECK(other.check().value() == SuperviseResult::kServing);
  CHECK(r2.spawned.empty());
  CHECK(other.stop());  // stops nothing it did not start
  CHECK(r2.terminated.empty());
}

TEST_CASE("supervisor: failures are reported, hung children replaced", "[unit]") {
  FakeRunner runner;
  runner.fail_spawn = true;
  WireGuardGoSupervisor sup("wgs1", runner, fast(), [](const std::string&) { return false; });
  CHECK_FALSE(sup.check());

  // A process that never serves is killed after the start timeout.
  FakeRunner r2;
  WireGuardGoSupervisor never("wgs1", r2, fast(), [](const std::string&) { return false; });
  auto r = never.check();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kUnavailable);
  CHECK(r2.terminated == std::vector<int>{100});

  WireGuardGoSupervisor bad("../x", r2, fast(), [](const std::string&) { return false; });
  CHECK_FALSE(bad.check());
}
