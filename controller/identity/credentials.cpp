#include "controller/identity/credentials.hpp"

#include "controller/identity/tokens.hpp"

namespace ward::identity {

Result<IssuedSession> issue_session(std::int64_t user_id, std::string source, store::Time now,
                                    const SessionPolicy& policy) {
  WARD_ASSIGN_OR_RETURN(SecretString token, generate_token(TokenKind::kSession));
  IssuedSession out;
  out.record.token_hash = token_hash(token.reveal());
  out.record.user_id = user_id;
  out.record.created_at = now;
  out.record.expires_at = now + policy.lifetime;
  out.record.last_used_at = now;
  out.record.source = std::move(source);
  out.token = std::move(token);
  return out;
}

Status check_session(const store::Session& session, store::Time now, const SessionPolicy& policy) {
  if (session.revoked) return Error::unauthenticated("session revoked");
  if (now >= session.expires_at) return Error::unauthenticated("session expired");
  if (now - session.last_used_at >= policy.idle_timeout) {
    return Error::unauthenticated("session idle too long");
  }
  return ok();
}

Result<IssuedEnrollmentKey> issue_enrollment_key(const EnrollmentKeyRequest& request,
                                                 store::Time now) {
  if (request.lifetime <= std::chrono::milliseconds(0) ||
      request.lifetime > std::chrono::hours(24 * 365)) {
    return Error::invalid_argument("enrollment key lifetime must be between 1 ms and 365 days");
  }
  if (!request.reusable && request.max_uses) {
    return Error::invalid_argument("a use limit needs a reusable key");
  }
  if (request.max_uses && *request.max_uses < 1) {
    return Error::invalid_argument("enrollment key use limit must be at least 1");
  }
  WARD_ASSIGN_OR_RETURN(SecretString key, generate_token(TokenKind::kEnrollmentKey));
  IssuedEnrollmentKey out;
  out.record.key_hash = token_hash(key.reveal());
  out.record.description = request.description;
  out.record.reusable = request.reusable;
  out.record.max_uses = request.reusable ? request.max_uses : std::optional<std::int64_t>(1);
  out.record.expires_at = now + request.lifetime;
  out.record.tags = request.tags;
  out.record.preapproved = request.preapproved;
  out.record.created_by = request.created_by;
  out.record.created_at = now;
  out.key = std::move(key);
  return out;
}

}  // namespace ward::identity
