#include "node/control/backoff.hpp"

#include <algorithm>

namespace ward::node::control {

std::chrono::milliseconds Backoff::ceiling() const {
  const auto cap = options_.cap.count();
  std::int64_t v = std::max<std::int64_t>(options_.base.count(), 1);
  for (unsigned i = 0; i < failures_ && v < cap; ++i)
    v *= 2;
  return std::chrono::milliseconds(std::min<std::int64_t>(v, cap));
}

std::chrono::milliseconds Backoff::next_delay(Clock::time_point now) {
  if (connected_at_ && now - *connected_at_ >= options_.healthy_after) failures_ = 0;
  connected_at_.reset();
  const auto ceil = static_cast<std::uint64_t>(ceiling().count());
  const std::uint64_t r = rng_ ? rng_() : 0;
  // Modulo bias is at most ceil / 2^64: negligible for delays of at most minutes.
  const std::uint64_t d = r % (ceil + 1);
  if (failures_ < 64) ++failures_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(d));
}

}  // namespace ward::node::control
