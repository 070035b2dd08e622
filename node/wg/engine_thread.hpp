// EngineThread: Ward's WireGuard engine running on a thread of the calling process. This
// is how `ward-node --wg-backend builtin` runs it. The engine is the same Daemon that
// ward-wg runs: it creates the TUN interface and serves the UAPI socket
// SOCKET_DIR/IFACE.sock, so the caller configures it through a UAPI client and `wg show`
// reads it as it reads wireguard-go.
//
// Contracts:
// - start() creates the Daemon on the calling thread, so a failure (no /dev/net/tun,
//   another daemon already serving the socket) comes back as its Result and leaves
//   nothing behind. The engine then runs on its own thread with every signal blocked, so
//   the process's signals keep reaching its event loop. Its crypto workers start on that
//   thread too; the process must not fork() afterwards except to exec at once.
// - exited() turns true when the engine stops by itself (e.g. the interface was deleted
//   under it); result() then says why. Both may be called from any thread.
// - The destructor stops the engine (within one poll wakeup), joins its thread, closes
//   the TUN device (the kernel removes the interface with every address and route on it)
//   and removes the socket file. Tunnels do not outlive the object.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/base/result.hpp"
#include "node/wg/daemon.hpp"

namespace ward::wg {

class EngineThread {
 public:
  static Result<std::unique_ptr<EngineThread>> start(const std::string& interface_name,
                                                     DaemonOptions options);
  ~EngineThread();
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  bool exited() const { return exited_.load(std::memory_order_acquire); }
  // ok() while running or after a requested stop; the engine's error once it failed.
  Status result() const;
  const std::string& socket_path() const { return daemon_->socket_path(); }

 private:
  explicit EngineThread(std::unique_ptr<Daemon> daemon);

  std::unique_ptr<Daemon> daemon_;
  std::atomic<bool> exited_{false};
  mutable std::mutex mu_;
  Status result_ = ok();  // guarded by mu_
  std::thread thread_;
};

}  // namespace ward::wg
