// WorkQueue: runs blocking or CPU-heavy jobs (password hashing) on libuv's thread pool
// and their completions back on the loop thread, with bounded concurrency and a bounded
// backlog.
//
//   uv::WorkQueue queue(loop, {.max_running = 2, .max_queued = 64});
//   Status s = queue.submit([secret = std::move(pw)]() mutable { verify(secret); },
//                           [] { /* loop thread: finish the request */ });
//   if (!s) answer 503;   // kUnavailable: backlog full, the job was not taken
//
// Contract:
// - submit() is called on the loop thread. `work` runs exactly once on a pool thread (it
//   must not touch anything owned by the loop thread); then `done` runs on the loop
//   thread, never inside submit(). At most max_running jobs run at once (libuv's pool
//   has UV_THREADPOOL_SIZE threads, default 4, shared with other libuv work); further jobs
//   wait in FIFO order, at most max_queued of them, beyond which submit() refuses
//   (kUnavailable) and drops the job unrun.
// - Both closures are destroyed on the loop thread after `done` returned (or was skipped),
//   so what they captured (e.g. a SecretString) is wiped there, never on a pool thread
//   that might still be using it.
// - Destroying the WorkQueue drops the jobs still waiting (destroyed unrun); jobs already
//   running finish on their pool thread, and their `done` is then skipped. The Loop must
//   still be running (or closed with run()) for those to be reclaimed: a running job keeps
//   the loop alive like any libuv request.
// - Loop thread only; not copyable or movable.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

#include "common/base/result.hpp"
#include "common/uv/loop.hpp"

namespace ward::uv {

struct WorkQueueOptions {
  std::size_t max_running = 2;
  std::size_t max_queued = 64;
};

class WorkQueue {
 public:
  using Work = std::function<void()>;
  using Done = std::function<void()>;

  explicit WorkQueue(Loop& loop, WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // kUnavailable when max_queued jobs are already waiting (or max_running is 0).
  Status submit(Work work, Done done);

  std::size_t running() const;
  std::size_t queued() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ward::uv
