#include "controller/identity/rate_limiter.hpp"

#include <algorithm>
#include <utility>

namespace ward::identity {

std::optional<std::chrono::milliseconds> lockout_remaining(const store::LoginFailures& record,
                                                           store::Time now) {
  if (!record.locked_until || *record.locked_until <= now) return std::nullopt;
  return *record.locked_until - now;
}

store::LoginFailures after_failure(store::LoginFailures record, store::Time now,
                                   const LockoutPolicy& policy) {
  if (record.failures > 0 && now - record.last_failure_at >= policy.forget_after) {
    record.failures = 0;
    record.locked_until.reset();
  }
  if (record.failures == 0) record.first_failure_at = now;
  ++record.failures;
  record.last_failure_at = now;
  if (record.failures >= policy.threshold) {
    std::int64_t doublings = std::min<std::int64_t>(record.failures - policy.threshold, 40);
    std::chrono::milliseconds lock = policy.base;
    for (std::int64_t i = 0; i < doublings && lock < policy.max; ++i)
      lock *= 2;
    lock = std::min(lock, policy.max);
    record.locked_until = now + lock;
  }
  return record;
}

std::int64_t concurrent_attempts_allowed(const store::LoginFailures& record, store::Time now,
                                         const LockoutPolicy& policy) {
  if (lockout_remaining(record, now)) return 0;
  std::int64_t failures = record.failures;
  if (failures > 0 && now - record.last_failure_at >= policy.forget_after) failures = 0;
  return std::max<std::int64_t>(1, policy.threshold - failures);
}

InFlightLogins::Ticket::Ticket(Ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      user_key_(std::move(other.user_key_)),
      source_key_(std::move(other.source_key_)) {}

InFlightLogins::Ticket& InFlightLogins::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    user_key_ = std::move(other.user_key_);
    source_key_ = std::move(other.source_key_);
  }
  return *this;
}

void InFlightLogins::Ticket::release() {
  if (owner_ == nullptr) return;
  owner_->drop(user_key_);
  owner_->drop(source_key_);
  owner_ = nullptr;
}

std::int64_t InFlightLogins::count(const std::string& key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

InFlightLogins::Ticket InFlightLogins::acquire(std::string user_key, std::string source_key) {
  ++counts_[user_key];
  ++counts_[source_key];
  Ticket t;
  t.owner_ = this;
  t.user_key_ = std::move(user_key);
  t.source_key_ = std::move(source_key);
  return t;
}

void InFlightLogins::drop(const std::string& key) {
  auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second <= 0) counts_.erase(it);
}

std::string LoginThrottle::user_key(std::string_view email) {
  std::string k = "user:";
  for (char c : email)
    k += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return k;
}

std::string LoginThrottle::source_key(std::string_view source) {
  return "src:" + std::string(source);
}

Result<std::optional<std::chrono::milliseconds>> LoginThrottle::locked_for(store::Tx& tx,
                                                                           std::string_view email,
                                                                           std::string_view source,
                                                                           store::Time now) const {
  WARD_ASSIGN_OR_RETURN(store::LoginFailures u, tx.login_failures(user_key(email)));
  WARD_ASSIGN_OR_RETURN(store::LoginFailures s, tx.login_failures(source_key(source)));
  auto a = lockout_remaining(u, now);
  auto b = lockout_remaining(s, now);
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

Status LoginThrottle::check(store::Tx& tx, std::string_view email, std::string_view source,
                            store::Time now) const {
  WARD_ASSIGN_OR_RETURN(auto remaining, locked_for(tx, email, source, now));
  if (!remaining) return ok();
  auto secs = std::chrono::ceil<std::chrono::seconds>(*remaining).count();
  return Error::unavailable("too many failed logins; try again in " + std::to_string(secs) + " s");
}

Result<Admission> LoginThrottle::admit(store::Tx& tx, std::string_view email,
                                       std::string_view source, store::Time now,
                                       const InFlightLogins& in_flight) const {
  const std::string uk = user_key(email);
  const std::string sk = source_key(source);
  WARD_ASSIGN_OR_RETURN(store::LoginFailures u, tx.login_failures(uk));
  WARD_ASSIGN_OR_RETURN(store::LoginFailures s, tx.login_failures(sk));
  auto a = lockout_remaining(u, now);
  auto b = lockout_remaining(s, now);
  if (a || b) {
    return Admission{Admission::Kind::kLocked, std::max(a.value_or(std::chrono::milliseconds(0)),
                                                        b.value_or(std::chrono::milliseconds(0)))};
  }
  if (in_flight.count(uk) >= concurrent_attempts_allowed(u, now, user_) ||
      in_flight.count(sk) >= concurrent_attempts_allowed(s, now, source_)) {
    return Admission{Admission::Kind::kBusy, std::chrono::seconds(1)};
  }
  return Admission{};
}

Status LoginThrottle::record_failure(store::Tx& tx, std::string_view email, std::string_view source,
                                     store::Time now) const {
  WARD_ASSIGN_OR_RETURN(store::LoginFailures u, tx.login_failures(user_key(email)));
  WARD_RETURN_IF_ERROR(tx.put_login_failures(after_failure(std::move(u), now, user_)));
  WARD_ASSIGN_OR_RETURN(store::LoginFailures s, tx.login_failures(source_key(source)));
  return tx.put_login_failures(after_failure(std::move(s), now, source_));
}

Status LoginThrottle::record_success(store::Tx& tx, std::string_view email) const {
  return tx.clear_login_failures(user_key(email));
}

}  // namespace ward::identity
