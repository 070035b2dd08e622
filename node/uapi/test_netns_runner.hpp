// Test support (tests only): a ProcessRunner whose children run inside a network
// namespace, `ip netns exec <ns> argv...` (ip execs the command, so the pid is the
// child's own). The Netns must outlive the runner; it also kills whatever is left inside
// when it is destroyed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "node/uapi/supervisor.hpp"
#include "tests/support/netns.hpp"

namespace ward::node::uapi::testing {

class NetnsRunner final : public ProcessRunner {
 public:
  explicit NetnsRunner(const ward::testing::Netns& ns) : ns_(ns) {}
  Result<int> spawn(const std::vector<std::string>& argv) override {
    return inner_.spawn(ns_.exec_argv(argv));
  }
  Result<bool> exited(int pid) override { return inner_.exited(pid); }
  Status terminate(int pid, std::chrono::milliseconds grace) override {
    return inner_.terminate(pid, grace);
  }

 private:
  const ward::testing::Netns& ns_;
  PosixProcessRunner inner_;
};

// Generous start timeout for wireguard-go: the machine is shared and may be loaded.
inline WireGuardGoSupervisor::Options slow_start() {
  WireGuardGoSupervisor::Options o;
  o.start_timeout = std::chrono::seconds(20);
  return o;
}

}  // namespace ward::node::uapi::testing
