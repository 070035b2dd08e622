// Signal: runs a callback on the loop thread when a process signal (SIGTERM, SIGINT,
// SIGHUP, ...) arrives. libuv's signal handling is process-wide; several Signal owners may
// watch the same signal.
//
// Contract: as Timer — the callback never runs inside start() or after the owner is
// destroyed, and may destroy the owner from inside. Movable, not copyable.
#pragma once

#include <functional>

#include "common/base/result.hpp"
#include "common/uv/loop.hpp"

namespace ward::uv {

class Signal {
 public:
  using Callback = std::function<void(int signum)>;

  explicit Signal(Loop& loop);
  ~Signal();
  Signal(Signal&& other) noexcept;
  Signal& operator=(Signal&& other) noexcept;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Watches signum (replacing an earlier watch). kInvalidArgument for a bad signal number.
  Status start(int signum, Callback cb);
  void stop();

 private:
  struct Box;
  Box* box_ = nullptr;
};

}  // namespace ward::uv
