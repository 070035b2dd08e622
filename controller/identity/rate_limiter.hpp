// Login rate limiting: exponential lockout per user and per source address.
//
// After `threshold` consecutive failures a key is locked for `base`, doubling with every
// further failure, capped at `max` (defaults: 5 failures -> 1 min, 2, 4, ... 60 min).
// A failure more than `forget_after` after the previous one starts a fresh count.
// A successful login clears the user's count but not the source's: otherwise an attacker
// holding one valid account could reset the source counter between guesses at others.
// Attempts refused because of a lockout are not counted (the caller checks before
// verifying the password), so a locked key unlocks on schedule.
//
// State lives in the store (login_failures), so restarting the controller does not reset
// it. The pure functions take `now`; LoginThrottle is the thin store glue. Callers must
// COMMIT the transaction that records a failure even though the login fails: return
// ok() from the transaction function and report the refusal outside it.
//
// Source keys: pass the client address as text; for IPv6 pass the /64 prefix, since one
// client controls a whole /64.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/base/result.hpp"
#include "controller/store/store.hpp"

namespace ward::identity {

struct LockoutPolicy {
  std::int64_t threshold = 5;
  std::chrono::milliseconds base = std::chrono::minutes(1);
  std::chrono::milliseconds max = std::chrono::hours(1);
  std::chrono::milliseconds forget_after = std::chrono::hours(24);
};

// Remaining lockout at now, or nullopt when not locked.
std::optional<std::chrono::milliseconds> lockout_remaining(const store::LoginFailures& record,
                                                           store::Time now);

// The record after one more failure at now.
store::LoginFailures after_failure(store::LoginFailures record, store::Time now,
                                   const LockoutPolicy& policy);

// How many password checks for this key may be in flight at once at now: 0 while locked;
// otherwise the failures still allowed before the lockout (at least 1, so a key whose
// lockout ran out gets its one further try). Checks that run concurrently count as
// failures-to-be, so a burst of parallel guesses cannot overshoot the threshold while
// the slow verifications are still running.
std::int64_t concurrent_attempts_allowed(const store::LoginFailures& record, store::Time now,
                                         const LockoutPolicy& policy);

// Password checks in flight (admitted, not yet recorded), per throttle key. Loop thread
// only. A Ticket holds one count for a user key and a source key until it is destroyed;
// the InFlightLogins must outlive its tickets.
class InFlightLogins {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    void release();

   private:
    friend class InFlightLogins;
    InFlightLogins* owner_ = nullptr;
    std::string user_key_;
    std::string source_key_;
  };

  std::int64_t count(const std::string& key) const;
  Ticket acquire(std::string user_key, std::string source_key);

 private:
  void drop(const std::string& key);
  std::unordered_map<std::string, std::int64_t> counts_;
};

// The throttle's verdict before a password is checked.
struct Admission {
  enum class Kind { kAdmitted, kLocked, kBusy };
  Kind kind = Kind::kAdmitted;
  std::chrono::milliseconds retry_after{0};  // kLocked: the lockout; kBusy: 1 s
};

class LoginThrottle {
 public:
  // Per-source defaults are looser: many clinicians may sit behind one hospital NAT.
  static LockoutPolicy default_source_policy() {
    return {20, std::chrono::minutes(1), std::chrono::hours(1), std::chrono::hours(24)};
  }

  explicit LoginThrottle(LockoutPolicy per_user = {},
                         LockoutPolicy per_source = default_source_policy())
      : user_(per_user), source_(per_source) {}

  // "user:<e-mail, ASCII lower-cased>" and "src:<address>".
  static std::string user_key(std::string_view email);
  static std::string source_key(std::string_view source);

  // Unavailable "too many failed logins; try again in N s" if the user or the source
  // is locked at now; ok() otherwise.
  Status check(store::Tx& tx, std::string_view email, std::string_view source,
               store::Time now) const;
  // Longest remaining lockout of the two keys (for a Retry-After header).
  Result<std::optional<std::chrono::milliseconds>> locked_for(store::Tx& tx, std::string_view email,
                                                              std::string_view source,
                                                              store::Time now) const;
  // Locked (as locked_for), busy (as many checks already in flight as
  // concurrent_attempts_allowed() permits for the user or the source), or admitted.
  Result<Admission> admit(store::Tx& tx, std::string_view email, std::string_view source,
                          store::Time now, const InFlightLogins& in_flight) const;
  Status record_failure(store::Tx& tx, std::string_view email, std::string_view source,
                        store::Time now) const;
  Status record_success(store::Tx& tx, std::string_view email) const;

 private:
  LockoutPolicy user_;
  LockoutPolicy source_;
};

}  // namespace ward::identity
