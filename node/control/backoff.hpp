// Reconnect delays: exponential backoff with full jitter (AWS "Exponential Backoff And
// Jitter"): the n-th consecutive failure waits a uniform random time in
// [0, min(cap, base * 2^n)]. A connection that stayed healthy for `healthy_after` resets
// the exponent. Pure: the clock and the random source are injected. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace ward::node::control {

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;
  // Returns a uniformly distributed 64-bit value (production: a CSPRNG or std::random_device
  // seeded engine; tests: a scripted sequence).
  using Rng = std::function<std::uint64_t()>;

  struct Options {
    std::chrono::milliseconds base{500};
    std::chrono::milliseconds cap{60000};
    std::chrono::milliseconds healthy_after{30000};
  };

  Backoff(Options options, Rng rng) : options_(options), rng_(std::move(rng)) {}

  // The upper bound of the next delay: min(cap, base * 2^failures).
  std::chrono::milliseconds ceiling() const;
  // A failure happened (connect failed or the connection ended): returns how long to wait
  // before the next attempt, in [0, ceiling()] as it was before this call, and raises the
  // exponent. If the connection that just ended had been healthy since `connected_at` for
  // at least healthy_after, the exponent is reset first.
  std::chrono::milliseconds next_delay(Clock::time_point now);
  // A connection was established at `now` (the stream answered).
  void connected(Clock::time_point now) { connected_at_ = now; }
  void reset() {
    failures_ = 0;
    connected_at_.reset();
  }
  unsigned failures() const { return failures_; }

 private:
  Options options_;
  Rng rng_;
  unsigned failures_ = 0;
  std::optional<Clock::time_point> connected_at_;
};

}  // namespace ward::node::control
