#include "node/wg/crypto_pool.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <sched.h>

namespace ward::wg {

CryptoPool::CryptoPool(unsigned workers) {
  // Workers inherit this mask: block everything so signals go to the poll thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i)
    threads_.emplace_back([this] { worker_loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

CryptoPool::~CryptoPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_)
    t.join();
}

unsigned CryptoPool::default_workers() {
  if (const char* env = std::getenv("WARD_WG_CRYPTO_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 0 && v <= 16) return static_cast<unsigned>(v);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus < 1) cpus = 1;
  return static_cast<unsigned>(std::min(cpus - 1, 3));
}

std::size_t CryptoPool::drain(void (*fn)(void*, std::size_t), void* ctx, std::size_t n) {
  std::size_t calls = 0;
  for (;;) {
    const std::size_t begin = next_.fetch_add(kChunk, std::memory_order_relaxed);
    if (begin >= n) return calls;
    const std::size_t end = std::min(begin + kChunk, n);
    for (std::size_t i = begin; i < end; ++i)
      fn(ctx, i);
    calls += end - begin;
    // Release: the caller's acquire load of done_ sees every write fn made.
    done_.fetch_add(end - begin, std::memory_order_acq_rel);
  }
}

void CryptoPool::run(std::size_t n, void (*fn)(void*, std::size_t), void* ctx) {
  if (n == 0) return;
  if (threads_.empty() || n < kMinParallel) {
    for (std::size_t i = 0; i < n; ++i)
      fn(ctx, i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    // No worker is active here (the previous run waited for them to leave).
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    fn_ = fn;
    ctx_ = ctx;
    n_ = n;
    ++generation_;
  }
  work_cv_.notify_all();
  drain(fn, ctx, n);
  std::unique_lock<std::mutex> lock(mu_);
  // Every index is claimed now; wait until the claimed calls finished and every worker
  // that joined this run has left it (so none can touch next_ of the following run).
  done_cv_.wait(lock, [&] { return done_.load(std::memory_order_acquire) == n && active_ == 0; });
  fn_ = nullptr;
  ctx_ = nullptr;
  n_ = 0;
}

void CryptoPool::worker_loop() {
  std::uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || (generation_ != seen && fn_ != nullptr); });
    if (stop_) return;
    seen = generation_;
    auto* fn = fn_;
    void* ctx = ctx_;
    const std::size_t n = n_;
    ++active_;
    lock.unlock();
    drain(fn, ctx, n);
    lock.lock();
    --active_;
    if (active_ == 0) done_cv_.notify_one();
  }
}

}  // namespace ward::wg
