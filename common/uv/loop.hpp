// Loop: the owner of one libuv event loop, and the rules every handle in ward::uv follows.
//
// Lifetimes (uvw's rule): an owner object (Timer, Udp, TcpListener, ...) holds its libuv
// handle in a heap block; destroying the owner closes the handle, and the block is freed
// only when libuv's close callback has run. No callback of an owner runs after the owner
// is destroyed. Streams (ByteStream) keep themselves alive the same way: see
// byte_stream.hpp.
//
// Threading: a Loop and everything on it is used from one thread (the one calling run()),
// except Async::send(). Nothing here throws through a libuv callback.
//
// Closing: close() closes every handle that is still open (reporting each one as a leak
// in its Status), runs the loop until their close callbacks and any deferred work have
// finished, and closes the uv_loop_t. Owners may be destroyed after their Loop closed
// (they only free memory then); no other method of a handle may be called after that.
// The destructor calls close() and prints any leak to stderr. close() may run callbacks
// (a stream's on_close), so declare the Loop before the objects those callbacks touch.
//
// Constructing a Loop sets SIGPIPE to SIG_IGN for the process (writes to a reset socket
// must fail with EPIPE, not kill the process).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <uv.h>

#include "common/base/result.hpp"

namespace ward::uv {

namespace detail {
// Every Ward-owned libuv handle has handle->data pointing at a HandleBase, so that
// Loop::close() can close it through the owner's own close path.
class HandleBase {
 public:
  virtual ~HandleBase() = default;
  // Starts closing the handle (idempotent); user callbacks, if any, run later.
  virtual void force_close() = 0;
};
}  // namespace detail

class Loop {
 public:
  // Aborts the process if libuv cannot create a loop (out of file descriptors at start-up).
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs until there is nothing left to do (no active handle, request or deferred work)
  // or stop() is called.
  void run();
  // Runs one iteration, blocking for I/O if there is none pending; returns true if more
  // work remains.
  bool run_once();
  // Runs one iteration without blocking; returns true if more work remains.
  bool run_nowait();
  // Makes run() return after the current iteration.
  void stop();

  // The loop's cached monotonic time (milliseconds, arbitrary epoch), updated at the start
  // of each iteration; update_time() refreshes it.
  std::chrono::milliseconds now() const;
  void update_time();

  // Runs fn on the loop thread in a later loop iteration, never inside this call. Deferred
  // functions run in FIFO order; a function deferred from a deferred function runs in the
  // next iteration. Dropped (destroyed without running) if the loop is closed.
  void defer(std::function<void()> fn);

  // Number of handles that are open and not closing, excluding the loop's own.
  std::size_t open_handle_count();
  // Their libuv type names ("tcp", "timer", ...), for messages.
  std::vector<std::string> open_handle_names();

  // Closes the loop (see the header comment). ok() when no handle was still open;
  // kInternal naming the leaked handle types otherwise (they are closed and freed anyway).
  // Idempotent; later calls return ok().
  Status close();
  bool is_closed() const { return closed_; }

  uv_loop_t* raw() { return &loop_; }

 private:
  static void on_idle(uv_idle_t* idle);
  void run_deferred();

  uv_loop_t loop_{};
  uv_idle_t idle_{};
  std::deque<std::function<void()>> deferred_;
  bool closed_ = false;
};

// For tests: closes the loop and fails (kInternal, naming the handle types) if any handle
// was still open, i.e. a test or the code under test leaked one. Every loop test ends with
// it.
Status close_and_check(Loop& loop);

}  // namespace ward::uv
