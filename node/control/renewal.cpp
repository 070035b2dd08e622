#include "node/control/renewal.hpp"

namespace ward::node::control {

SysTime renewal_time(SysTime not_before, SysTime not_after) {
  if (not_after <= not_before) return not_before;
  return not_before + (not_after - not_before) * 2 / 3;
}

RenewalSchedule::RenewalSchedule(SysTime not_before, SysTime not_after, Backoff::Rng rng)
    : backoff_({.base = std::chrono::seconds(5),
                .cap = std::chrono::minutes(10),
                .healthy_after = std::chrono::hours(24 * 365)},
               std::move(rng)),
      not_after_(not_after),
      next_(renewal_time(not_before, not_after)) {}

void RenewalSchedule::failed(SysTime now) {
  next_ = now + backoff_.next_delay(Backoff::Clock::time_point{});
}

void RenewalSchedule::renewed(SysTime not_before, SysTime not_after) {
  backoff_.reset();
  not_after_ = not_after;
  next_ = renewal_time(not_before, not_after);
}

}  // namespace ward::node::control
