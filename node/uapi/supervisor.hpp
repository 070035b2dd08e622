// Keeps a userspace WireGuard (Debian's wireguard-go) serving an interface's UAPI socket.
//
// Contracts: check() is idempotent and blocking (up to Options::start_timeout): if some
// process — ours or anyone's — answers get=1 on the socket, nothing is started; otherwise
// `<binary> -f <iface>` is spawned (foreground, so it stays our child and can be reaped)
// and check() waits until the socket answers. A child that died is reaped and replaced on
// the next check(); the result says so, because a restarted device is EMPTY and the caller
// must reconcile again. stop() terminates only the child this supervisor started (SIGTERM,
// then SIGKILL after a grace period). Not thread-safe. The destructor does NOT stop the
// child (a daemon restart must not tear tunnels down); call stop() for `ward-node down`.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.hpp"

namespace ward::node::uapi {

// OS seam for process management.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<int> spawn(const std::vector<std::string>& argv) = 0;  // pid
  // Non-blocking: true if pid has exited (and is now reaped).
  virtual Result<bool> exited(int pid) = 0;
  // SIGTERM, wait up to `grace`, then SIGKILL; reaps.
  virtual Status terminate(int pid, std::chrono::milliseconds grace) = 0;
};

// posix_spawnp + waitpid. Children inherit stdout/stderr; our fds are close-on-exec.
class PosixProcessRunner final : public ProcessRunner {
 public:
  Result<int> spawn(const std::vector<std::string>& argv) override;
  Result<bool> exited(int pid) override;
  Status terminate(int pid, std::chrono::milliseconds grace) override;
};

enum class SuperviseResult {
  kServing,    // a process already served the socket; nothing done
  kStarted,    // we started the first process
  kRestarted,  // our previous child had died; a new one now serves (device is empty)
};

// What the node needs from whatever runs its userspace WireGuard (wireguard-go as a child
// process here; Ward's own engine in-process: node/daemon/builtin_engine.hpp).
// check() makes sure something serves the interface's UAPI socket and says whether the
// device behind it is new (kStarted/kRestarted: empty, reconcile again); stop() stops
// what this supervisor started; check_every() is how often the node should call check().
class EngineSupervisor {
 public:
  virtual ~EngineSupervisor() = default;
  virtual Result<SuperviseResult> check() = 0;
  virtual Status stop() = 0;
  virtual std::chrono::milliseconds check_every() const = 0;
};

class WireGuardGoSupervisor final : public EngineSupervisor {
 public:
  struct Options {
    std::string binary = "wireguard-go";
    std::string socket_dir = "/var/run/wireguard";
    std::chrono::milliseconds start_timeout{5000};
    std::chrono::milliseconds poll_interval{50};
    std::chrono::milliseconds stop_grace{2000};
  };
  // True if something answers on the socket path.
  using Probe = std::function<bool(const std::string& socket_path)>;

  // iface must be a valid interface name (checked by check()). `runner` must outlive this.
  WireGuardGoSupervisor(std::string iface, ProcessRunner& runner, Options options,
                        Probe probe = {});

  Result<SuperviseResult> check() override;
  Status stop() override;
  // A UAPI round trip on the socket each time.
  std::chrono::milliseconds check_every() const override { return std::chrono::seconds(5); }
  std::optional<int> child_pid() const { return child_; }

 private:
  std::string iface_;
  ProcessRunner& runner_;
  Options options_;
  Probe probe_;
  std::optional<int> child_;
  bool ever_started_ = false;
};

}  // namespace ward::node::uapi
