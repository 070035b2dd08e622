// Timer: a one-shot or repeating libuv timer.
//
// Contract: the callback runs on the loop thread, never inside start(); it may stop,
// restart, or destroy the Timer (or replace the callback) from inside itself. Destroying
// the Timer stops it; its callback never runs afterwards. Movable, not copyable; a
// moved-from Timer may only be destroyed or assigned to.
#pragma once

#include <chrono>
#include <functional>

#include "common/uv/loop.hpp"

namespace ward::uv {

class Timer {
 public:
  using Callback = std::function<void()>;

  explicit Timer(Loop& loop);
  ~Timer();
  Timer(Timer&& other) noexcept;
  Timer& operator=(Timer&& other) noexcept;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)starts the timer: cb runs once after `timeout`, then every `repeat` if repeat > 0.
  // Replaces any earlier callback. Ignored if the loop has closed the handle.
  void start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat, Callback cb);
  void start(std::chrono::milliseconds timeout, Callback cb) {
    start(timeout, std::chrono::milliseconds(0), std::move(cb));
  }
  // Stops it; start() may be called again. The callback is kept until then.
  void stop();
  bool is_active() const;
  // Whether an active timer keeps Loop::run() from returning (default true). A watchdog
  // that should not hold the loop open sets false.
  void set_keeps_loop_alive(bool keep);

 private:
  struct Box;
  Box* box_ = nullptr;
};

}  // namespace ward::uv
