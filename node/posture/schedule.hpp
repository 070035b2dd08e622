// When to send posture: at start, whenever the facts change, and at least every
// `max_interval` (10 minutes) even if nothing changed. Pure: time is passed in.
// Not thread-safe.
#pragma once

#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>

namespace ward::node::posture {

class ReportSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ReportSchedule(std::chrono::seconds max_interval = std::chrono::minutes(10))
      : max_interval_(max_interval) {}

  // True if `facts` (just collected) must be reported now: nothing was reported yet, they
  // differ from the last reported facts, or the last report is max_interval old.
  bool due(Clock::time_point now, const nlohmann::json& facts) const;
  // Records a SUCCESSFUL report. A failed one is not recorded, so due() stays true.
  void reported(Clock::time_point now, const nlohmann::json& facts);
  // The latest time the next report is due if facts do not change (nullopt: now).
  std::optional<Clock::time_point> next_periodic() const;

 private:
  std::chrono::seconds max_interval_;
  std::optional<Clock::time_point> last_time_;
  nlohmann::json last_facts_;
};

}  // namespace ward::node::posture
