#include "controller/identity/rate_limiter.hpp"

#include <algorithm>

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
