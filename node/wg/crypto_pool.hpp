// CryptoPool: fork-join parallelism for the data plane's AEAD work. run(n, fn) calls
// fn(i) exactly once for every i in [0, n), spread over the calling thread and the pool's
// worker threads in chunks of consecutive indices, and returns only when every call has
// returned. The calling thread always takes part, so a busy or descheduled worker delays
// a batch but never stalls it for good, and a pool with no workers simply runs fn
// inline.
//
// Threads and ownership:
// - One thread at a time may call run() (the daemon's poll thread). fn and whatever it
//   reaches must stay valid until run() returns; the pool keeps no reference afterwards.
// - Workers only ever touch what fn touches. Callers pass jobs that write disjoint
//   buffers (one datagram each) and never the Device, which stays single-threaded.
// - Workers block all signals, so SIGINT/SIGTERM reach the poll thread.
// - Create the pool after any fork(): threads do not survive it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace ward::wg {

class CryptoPool {
 public:
  // Starts `workers` threads (0: everything runs on the caller).
  explicit CryptoPool(unsigned workers);
  ~CryptoPool();
  CryptoPool(const CryptoPool&) = delete;
  CryptoPool& operator=(const CryptoPool&) = delete;

  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }

  // Batches smaller than this run inline: waking a worker costs more than it saves.
  static constexpr std::size_t kMinParallel = 8;
  static constexpr std::size_t kChunk = 4;

  void run(std::size_t n, void (*fn)(void* ctx, std::size_t i), void* ctx);

  template <class F>
  void run(std::size_t n, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run(
        n, [](void* c, std::size_t i) { (*static_cast<Fn*>(c))(i); },
        const_cast<void*>(static_cast<const void*>(&fn)));
  }

  // The worker count the daemon uses: WARD_WG_CRYPTO_THREADS if set (0-16), else one
  // fewer than the CPUs this process may run on, at most 3.
  static unsigned default_workers();

 private:
  void worker_loop();
  // Takes chunks of the current run until none are left; returns how many calls it made.
  std::size_t drain(void (*fn)(void*, std::size_t), void* ctx, std::size_t n);

  std::mutex mu_;
  std::condition_variable work_cv_;  // workers wait here for a new run or shutdown
  std::condition_variable done_cv_;  // run() waits here for the stragglers
  // Guarded by mu_: the current run and who is inside it.
  std::uint64_t generation_ = 0;
  void (*fn_)(void*, std::size_t) = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0;
  unsigned active_ = 0;  // workers that joined the current run and have not left it
  bool stop_ = false;
  // The next unclaimed index and the number of finished calls of the current run; only
  // reset while no worker is active.
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::vector<std::thread> threads_;
};

}  // namespace ward::wg
