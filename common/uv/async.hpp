// Async: wakes the loop from another thread and runs a callback on the loop thread.
//
// Contract: send() is the only method that may be called from other threads; several
// sends before the callback runs may coalesce into one call. The callback never runs
// inside send(). The owner must be destroyed on the loop thread, after every other thread
// has stopped calling send(); send() must not be called once the Loop is closed. Movable (on the
// loop thread), not copyable.
#pragma once

#include <functional>

#include "common/uv/loop.hpp"

namespace ward::uv {

class Async {
 public:
  using Callback = std::function<void()>;

  Async(Loop& loop, Callback cb);
  ~Async();
  Async(Async&& other) noexcept;
  Async& operator=(Async&& other) noexcept;
  Async(const Async&) = delete;
  Async& operator=(const Async&) = delete;

  // Thread-safe and async-signal-safe.
  void send();

 private:
  struct Box;
  Box* box_ = nullptr;
};

}  // namespace ward::uv
