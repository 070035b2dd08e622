// BuiltinEngine: runs Ward's own WireGuard engine inside ward-node (`--wg-backend
// builtin`), supervised with the same contract as the wireguard-go child
// (uapi::EngineSupervisor): check() starts the engine the first time (kStarted), starts
// it again when it stopped by itself, e.g. because someone deleted the interface
// (kRestarted: the new interface is empty, reconcile again), and otherwise reports
// kServing. The engine serves SOCKET_DIR/IFACE.sock like
// wireguard-go, so the node configures it through its UAPI backend and `wg show IFACE` works
// unchanged.
//
// Unlike the wireguard-go child, the engine does not outlive the object: stop() and the
// destructor remove the interface, so a ward-node restart recreates it and its tunnels
// handshake again. If ward-node dies, so do its tunnels (nothing keeps forwarding with a
// policy no one is updating).
//
// Threads: check() and stop() on the node's loop thread. `warn` receives the engine's
// warnings (on the engine's thread; it must be thread-safe, as loggers are) and the
// reason whenever the engine stopped by itself (on the caller's thread).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/base/result.hpp"
#include "node/uapi/supervisor.hpp"

namespace ward::wg {
class EngineThread;
}

namespace ward::node {

class BuiltinEngine final : public uapi::EngineSupervisor {
 public:
  using Warn = std::function<void(const std::string&)>;
  BuiltinEngine(std::string iface, std::string socket_dir, Warn warn);
  ~BuiltinEngine() override;

  Result<uapi::SuperviseResult> check() override;
  Status stop() override;
  // Every second while it runs (check() is then an atomic load); after failed starts,
  // 5 s doubling to 60 s, so a host without /dev/net/tun does not fill the log.
  std::chrono::milliseconds check_every() const override;

 private:
  std::string iface_;
  std::string socket_dir_;
  Warn warn_;
  std::unique_ptr<wg::EngineThread> engine_;
  bool ever_started_ = false;
  unsigned failed_starts_ = 0;  // in a row
};

}  // namespace ward::node
