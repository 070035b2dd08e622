#include "common/uv/loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <signal.h>

namespace ward::uv {

Loop::Loop() {
  // libuv writes to sockets with write(2); a peer reset must be an EPIPE error, not a
  // process-killing SIGPIPE. Process-wide, and what every libuv server does.
  ::signal(SIGPIPE, SIG_IGN);
  int rc = uv_loop_init(&loop_);
  if (rc == 0) rc = uv_idle_init(&loop_, &idle_);
  if (rc != 0) {
    std::fprintf(stderr, "ward: cannot create event loop: %s\n", uv_strerror(rc));
    std::abort();
  }
  idle_.data = this;
  // The idle handle only runs while work is deferred; it must not keep run() alive or
  // count as the user's handle.
}

Loop::~Loop() {
  Status st = close();
  if (!st) std::fprintf(stderr, "ward: %s\n", st.error().to_string().c_str());
}

void Loop::run() {
  if (!closed_) uv_run(&loop_, UV_RUN_DEFAULT);
}

bool Loop::run_once() {
  return closed_ ? false : uv_run(&loop_, UV_RUN_ONCE) != 0;
}

bool Loop::run_nowait() {
  return closed_ ? false : uv_run(&loop_, UV_RUN_NOWAIT) != 0;
}

void Loop::stop() {
  if (!closed_) uv_stop(&loop_);
}

std::chrono::milliseconds Loop::now() const {
  return std::chrono::milliseconds(uv_now(&loop_));
}

void Loop::update_time() {
  if (!closed_) uv_update_time(&loop_);
}

void Loop::defer(std::function<void()> fn) {
  if (closed_ || !fn) return;
  deferred_.push_back(std::move(fn));
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) uv_idle_start(&idle_, &Loop::on_idle);
}

void Loop::on_idle(uv_idle_t* idle) {
  static_cast<Loop*>(idle->data)->run_deferred();
}

void Loop::run_deferred() {
  std::deque<std::function<void()>> batch;
  batch.swap(deferred_);
  for (auto& fn : batch) {
    fn();
    fn = nullptr;  // release captures in order, before the next function runs
  }
  if (deferred_.empty()) uv_idle_stop(&idle_);
}

namespace {
struct WalkState {
  const uv_handle_t* skip;
  std::vector<uv_handle_t*> open;
};
}  // namespace

static std::vector<uv_handle_t*> open_handles(uv_loop_t* loop, const uv_handle_t* skip) {
  WalkState state{skip, {}};
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) {
        auto* s = static_cast<WalkState*>(arg);
        if (h != s->skip && !uv_is_closing(h)) s->open.push_back(h);
      },
      &state);
  return state.open;
}

std::size_t Loop::open_handle_count() {
  if (closed_) return 0;
  return open_handles(&loop_, reinterpret_cast<uv_handle_t*>(&idle_)).size();
}

std::vector<std::string> Loop::open_handle_names() {
  std::vector<std::string> names;
  if (closed_) return names;
  for (uv_handle_t* h : open_handles(&loop_, reinterpret_cast<uv_handle_t*>(&idle_))) {
    names.emplace_back(uv_handle_type_name(uv_handle_get_type(h)));
  }
  return names;
}

Status Loop::close() {
  if (closed_) return ok();
  auto* idle = reinterpret_cast<uv_handle_t*>(&idle_);
  std::vector<std::string> leaked;
  // Closing a handle may run user callbacks (a stream's on_close) that open new handles or
  // defer work, so repeat until the loop is quiet. Bounded to stay finite on a callback
  // that reopens forever.
  for (int round = 0; round < 100; ++round) {
    auto open = open_handles(&loop_, idle);
    for (uv_handle_t* h : open) {
      leaked.emplace_back(uv_handle_type_name(uv_handle_get_type(h)));
      if (uv_is_closing(h)) continue;  // closed as a side effect of an earlier one
      if (h->data != nullptr) {
        static_cast<detail::HandleBase*>(h->data)->force_close();
      } else {
        uv_close(h, nullptr);  // not ours: nothing to free
      }
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    if (open_handles(&loop_, idle).empty() && deferred_.empty()) break;
  }
  deferred_.clear();
  uv_close(idle, nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop_);
  closed_ = true;
  if (rc != 0) {
    // Cannot free the loop's internals while libuv still references them; leak instead.
    return Error::internal(std::string("event loop could not be closed: ") + uv_strerror(rc));
  }
  if (!leaked.empty()) {
    std::string msg =
        "event loop closed with " + std::to_string(leaked.size()) + " handle(s) still open:";
    for (const auto& name : leaked)
      msg += " " + name;
    return Error::internal(std::move(msg));
  }
  return ok();
}

Status close_and_check(Loop& loop) {
  return loop.close();
}

}  // namespace ward::uv
