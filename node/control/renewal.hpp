// Certificate renewal timing. Pure; not thread-safe.
//
// A certificate valid [not_before, not_after] is renewed from 2/3 of its lifetime on; a
// failed attempt is retried after an exponential backoff with full jitter (5 s .. 10 min),
// and never later than the deadline itself would allow: once not_after has passed the
// node fails closed (see ControlCore) and keeps trying.
#pragma once

#include <chrono>

#include "node/control/backoff.hpp"

namespace ward::node::control {

using SysTime = std::chrono::system_clock::time_point;

// not_before + 2/3 (not_after - not_before); not_before if the interval is empty.
SysTime renewal_time(SysTime not_before, SysTime not_after);

class RenewalSchedule {
 public:
  RenewalSchedule(SysTime not_before, SysTime not_after, Backoff::Rng rng);

  // When the next attempt should start.
  SysTime next_attempt() const { return next_; }
  bool due(SysTime now) const { return now >= next_; }
  // The attempt failed at `now`: the next one is after a backoff delay.
  void failed(SysTime now);
  // A new certificate arrived: schedule from its lifetime, reset the backoff.
  void renewed(SysTime not_before, SysTime not_after);
  SysTime not_after() const { return not_after_; }

 private:
  Backoff backoff_;
  SysTime not_after_;
  SysTime next_;
};

}  // namespace ward::node::control
