// Password + TOTP checks shared by admin login and enrollment by login, and TOTP seeds.
#include <algorithm>
#include <string>

#include "common/crypto/aead.hpp"
#include "common/net/ip.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/identity/password.hpp"
#include "controller/identity/totp.hpp"

namespace ward::controller {
namespace {

// One client controls a whole IPv6 /64, so that is the unit of source rate limiting.
std::string throttle_source(const std::string& source) {
  auto ip = net::IpAddress::parse(source);
  if (ip && ip->is_v6()) {
    auto p = net::Prefix::make(*ip, 64);
    if (p) return p->to_string();
  }
  return source;
}

std::string_view as_chars(const store::Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

Result<LoginStart> begin_login(ApiContext& ctx, store::Tx& tx, const CallInfo& call,
                               const LoginCredentials& creds, std::string_view action) {
  LoginStart out;
  const std::string source = throttle_source(call.source);
  WARD_ASSIGN_OR_RETURN(out.admission,
                        ctx.throttle.admit(tx, creds.email, source, call.now, ctx.login_in_flight));
  if (!out.admitted()) {
    const bool locked = out.admission.kind == identity::Admission::Kind::kLocked;
    WARD_RETURN_IF_ERROR(
        ctx.audit.append(tx,
                         {audit::Actor{audit::ActorKind::kUser, "", creds.email},
                          call.source,
                          std::string(action),
                          "user:" + creds.email,
                          audit::Outcome::kDenied,
                          {{"reason", locked ? "locked out" : "too many in flight"}}},
                         call.now));
    return out;
  }
  auto user = tx.user_by_email(creds.email);
  if (!user && user.error().code() != ErrorCode::kNotFound) return user.error();
  if (user) {
    out.password_hash = user->password_hash;
    out.user = std::move(*user);
  }
  out.ticket = ctx.login_in_flight.acquire(identity::LoginThrottle::user_key(creds.email),
                                           identity::LoginThrottle::source_key(source));
  return out;
}

LoginCheck refused_login(const LoginStart& start) {
  LoginCheck out;
  out.locked = start.admission.kind == identity::Admission::Kind::kLocked;
  out.busy = start.admission.kind == identity::Admission::Kind::kBusy;
  out.retry_after_s = std::max<std::int64_t>(
      1, std::chrono::ceil<std::chrono::seconds>(start.admission.retry_after).count());
  return out;
}

Result<LoginCheck> finish_login(ApiContext& ctx, store::Tx& tx, const CallInfo& call,
                                const LoginCredentials& creds, std::string_view action,
                                const LoginStart& start, bool password_matches) {
  LoginCheck out;
  const std::string source = throttle_source(call.source);
  audit::Actor actor{audit::ActorKind::kUser, "", creds.email};
  std::string reason;
  auto user = tx.user_by_email(creds.email);
  if (!user && user.error().code() != ErrorCode::kNotFound) return user.error();
  if (!start.user || start.password_hash.empty()) {
    reason = start.user ? "no password" : "unknown user";
  } else if (!user || user->id != start.user->id ||
             !ct_equal(user->password_hash, start.password_hash)) {
    // The account changed while its password was being checked: judge nothing stale.
    reason = "password changed during login";
  } else {
    actor = audit::Actor::user(user->id, user->email);
    if (!password_matches) {
      reason = "bad password";
    } else if (user->disabled) {
      reason = "user disabled";
    } else if (user->totp_secret_sealed.empty()) {
      reason = "mfa not enrolled";
    } else {
      auto secret =
          crypto::open(ctx.master_key, as_chars(user->totp_secret_sealed), totp_aad(user->id));
      if (!secret)
        return Error::corruption("TOTP seed of user " + std::to_string(user->id) +
                                 " does not open with the master key");
      auto step =
          identity::verify_totp(*secret, creds.totp.reveal(), call.now, user->totp_last_step);
      if (!step) {
        reason = step.error().message().find("already used") != std::string::npos ? "replayed totp"
                                                                                  : "bad totp";
      } else if (Status adv = tx.advance_totp_step(user->id, *step); !adv) {
        if (adv.error().code() != ErrorCode::kAlreadyExists) return adv.error();
        reason = "replayed totp";
      }
    }
  }
  if (reason.empty()) {
    WARD_RETURN_IF_ERROR(ctx.throttle.record_success(tx, creds.email));
    auto seq = ctx.audit.append(tx,
                                {actor, call.source, std::string(action), "user:" + user->email,
                                 audit::Outcome::kSuccess, nlohmann::json::object()},
                                call.now);
    if (!seq) return std::move(seq).error();
    out.user = std::move(*user);
    return out;
  }
  WARD_RETURN_IF_ERROR(ctx.throttle.record_failure(tx, creds.email, source, call.now));
  auto seq = ctx.audit.append(tx,
                              {actor,
                               call.source,
                               std::string(action),
                               "user:" + creds.email,
                               audit::Outcome::kFailure,
                               {{"reason", reason}}},
                              call.now);
  if (!seq) return std::move(seq).error();
  return out;
}

http::Response login_refusal(const LoginCheck& check) {
  if (check.busy) {
    http::Response r = error_response(
        Error::unavailable("too many logins for this account or address in progress; try again "
                           "in " +
                           std::to_string(check.retry_after_s) + " s"),
        429);
    r.headers.set("Retry-After", std::to_string(check.retry_after_s));
    return r;
  }
  if (check.locked) {
    http::Response r =
        error_response(Error::unavailable("too many failed logins; try again in " +
                                          std::to_string(check.retry_after_s) + " s"),
                       429);
    r.headers.set("Retry-After", std::to_string(check.retry_after_s));
    return r;
  }
  return error_response(Error::unauthenticated("invalid email, password or code"));
}

Result<NewTotp> new_totp(ApiContext& ctx, std::int64_t user_id, std::string_view email) {
  WARD_ASSIGN_OR_RETURN(SecretBytes secret, identity::generate_totp_secret());
  WARD_ASSIGN_OR_RETURN(
      std::string sealed,
      crypto::seal(ctx.master_key,
                   std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()),
                   totp_aad(user_id)));
  NewTotp out;
  out.sealed.assign(sealed.begin(), sealed.end());
  out.uri = identity::otpauth_uri("Ward", email, secret);
  return out;
}

}  // namespace ward::controller
