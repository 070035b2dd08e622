#include "node/posture/schedule.hpp"

namespace ward::node::posture {

bool ReportSchedule::due(Clock::time_point now, const nlohmann::json& facts) const {
  if (!last_time_) return true;
  if (facts != last_facts_) return true;
  return now - *last_time_ >= max_interval_;
}

void ReportSchedule::reported(Clock::time_point now, const nlohmann::json& facts) {
  last_time_ = now;
  last_facts_ = facts;
}

std::optional<ReportSchedule::Clock::time_point> ReportSchedule::next_periodic() const {
  if (!last_time_) return std::nullopt;
  return *last_time_ + max_interval_;
}

}  // namespace ward::node::posture
