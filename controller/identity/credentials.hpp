// Issuing and checking the controller's bearer credentials: session tokens and
// enrollment keys. Pure functions of their inputs and `now`; the caller stores the
// returned record (Tx::create_session / Tx::create_enrollment_key) and shows the secret
// once. Only hashes are ever stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "controller/store/types.hpp"

namespace ward::identity {

struct SessionPolicy {
  std::chrono::milliseconds lifetime = std::chrono::hours(12);
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
};

struct IssuedSession {
  SecretString token;     // "wst_..."; give to the client, never store or log
  store::Session record;  // token_hash, user_id, times, source
};
Result<IssuedSession> issue_session(std::int64_t user_id, std::string source, store::Time now,
                                    const SessionPolicy& policy = {});

// ok() if the session may be used at now; Unauthenticated "session revoked",
// "session expired" or "session idle too long" otherwise. The caller then touches
// last_used_at (Tx::touch_session).
Status check_session(const store::Session& session, store::Time now,
                     const SessionPolicy& policy = {});

struct EnrollmentKeyRequest {
  std::string description;
  bool reusable = false;
  std::optional<std::int64_t> max_uses;  // reusable keys only; nullopt = unlimited
  std::chrono::milliseconds lifetime = std::chrono::hours(1);
  std::vector<std::string> tags;
  bool preapproved = false;
  std::optional<std::int64_t> created_by;
};

struct IssuedEnrollmentKey {
  SecretString key;             // "wek_..."; shown once
  store::EnrollmentKey record;  // key_hash etc.; no secret
};
// InvalidArgument for a non-positive lifetime (or more than 365 days), max_uses < 1, or
// max_uses on a single-use key.
Result<IssuedEnrollmentKey> issue_enrollment_key(const EnrollmentKeyRequest& request,
                                                 store::Time now);

}  // namespace ward::identity
