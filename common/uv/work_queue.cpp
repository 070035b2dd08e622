#include "common/uv/work_queue.hpp"

#include <string>
#include <utility>

namespace ward::uv {
namespace {

struct Job {
  uv_work_t req{};
  WorkQueue::Work work;
  WorkQueue::Done done;
};

}  // namespace

// Shared by the queue and every running job, so a job that finishes after the queue was
// destroyed finds `alive == false` and skips its completion.
struct WorkQueue::State : std::enable_shared_from_this<WorkQueue::State> {
  Loop* loop = nullptr;
  WorkQueueOptions options;
  std::deque<std::unique_ptr<Job>> waiting;
  std::size_t running = 0;
  bool alive = true;

  // A running job and the State it belongs to (held until after_work).
  struct RunningJob {
    std::unique_ptr<Job> job;
    std::shared_ptr<State> state;
  };

  void start_next();
  static void run_work(uv_work_t* req);
  static void after_work(uv_work_t* req, int status);
};

void WorkQueue::State::start_next() {
  while (alive && running < options.max_running && !waiting.empty()) {
    auto* rj = new RunningJob{std::move(waiting.front()), shared_from_this()};
    waiting.pop_front();
    rj->job->req.data = rj;
    const int rc = uv_queue_work(loop->raw(), &rj->job->req, &State::run_work, &State::after_work);
    if (rc != 0) {
      // Only fails for invalid arguments; the job is dropped unrun rather than run inline.
      delete rj;
      continue;
    }
    ++running;
  }
}

void WorkQueue::State::run_work(uv_work_t* req) {
  auto* rj = static_cast<RunningJob*>(req->data);
  try {
    if (rj->job->work) rj->job->work();
  } catch (...) {
    // A job must not throw; swallowing here keeps the pool thread alive.
  }
}

void WorkQueue::State::after_work(uv_work_t* req, int /*status*/) {
  std::unique_ptr<RunningJob> rj(static_cast<RunningJob*>(req->data));
  std::shared_ptr<State> state = std::move(rj->state);
  --state->running;
  if (state->alive) {
    try {
      if (rj->job->done) rj->job->done();
    } catch (...) {
    }
  }
  rj.reset();  // the closures (and their secrets) die here, on the loop thread
  state->start_next();
}

WorkQueue::WorkQueue(Loop& loop, WorkQueueOptions options) : state_(std::make_shared<State>()) {
  state_->loop = &loop;
  state_->options = options;
}

WorkQueue::~WorkQueue() {
  state_->alive = false;
  state_->waiting.clear();
}

Status WorkQueue::submit(Work work, Done done) {
  State& s = *state_;
  if (s.options.max_running == 0 || s.waiting.size() >= s.options.max_queued) {
    return Error::unavailable("work queue full (" + std::to_string(s.running) + " running, " +
                              std::to_string(s.waiting.size()) + " waiting)");
  }
  auto job = std::make_unique<Job>();
  job->work = std::move(work);
  job->done = std::move(done);
  s.waiting.push_back(std::move(job));
  s.start_next();
  return ok();
}

std::size_t WorkQueue::running() const {
  return state_->running;
}

std::size_t WorkQueue::queued() const {
  return state_->waiting.size();
}

}  // namespace ward::uv
