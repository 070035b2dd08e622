// Internal to ward_api: what the dispatcher hands a handler, and the handlers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/http/server.hpp"
#include "controller/api/authz.hpp"
#include "controller/api/context.hpp"
#include "controller/api/models.hpp"
#include "controller/audit/entry.hpp"

namespace ward::controller {

struct Principal {
  store::User user;
  std::int64_t session_id = 0;
};

// One API call, as the dispatcher authenticated it, apart from the HTTP exchange: what a
// handler's second half may still use after the handler returned (see password_check.hpp).
struct CallInfo {
  const RouteSpec& spec;
  std::string source;  // the client's IP address ("" if unknown)
  store::Time now;
  std::optional<Principal> user;        // kSession routes
  std::optional<store::Device> device;  // kDevice routes
  std::string target;                   // set by handlers: what a change is about
  // Set by handlers that committed a change policy depends on; the dispatcher reports
  // them to the NetmapHub once the handler succeeded (never for a rolled-back change).
  std::vector<std::int64_t> changed_devices;
  std::vector<std::int64_t> changed_users;
  std::string change_reason;  // for revoke/quarantine/expire: what the node is told

  bool is_member() const { return user && user->user.role == store::Role::kMember; }
};

// The call with its HTTP exchange, valid only while the handler runs.
struct Call : CallInfo {
  Call(http::RequestContext& h, const RouteSpec& s, std::string src, store::Time n)
      : CallInfo{s, std::move(src), n, {}, {}, {}, {}, {}, {}}, http(h) {}

  http::RequestContext& http;
  // Set (by check_password_then) when the answer will be given later, off this call.
  bool deferred = false;

  std::string body() const { return http.request().body; }
  std::string param(std::string_view name) const {
    auto v = http.param(name);
    return v ? std::string(*v) : std::string();
  }
};

using Handler = Result<http::Response> (*)(ApiContext&, Call&);

// The actor of a call: the session's user, the device, or (unauthenticated) the system.
audit::Actor call_actor(const CallInfo& call);

// Appends an audit entry for this call inside tx.
Status audit_in(ApiContext& ctx, store::Tx& tx, const CallInfo& call, std::string_view action,
                std::string target, audit::Outcome outcome,
                nlohmann::json details = nlohmann::json::object());
// Appends one entry in its own transaction (refusals, whose change rolled back); a failure
// to write it is logged, never swallowed silently.
void audit_alone(ApiContext& ctx, const CallInfo& call, std::string_view action, std::string target,
                 audit::Outcome outcome, nlohmann::json details = nlohmann::json::object());
void audit_alone(ApiContext& ctx, const audit::Actor& actor, const std::string& source,
                 std::string_view action, std::string target, audit::Outcome outcome,
                 nlohmann::json details);

// Password + TOTP login, shared by admin login and enrollment, in two halves around the
// (slow) password check, each inside its own write transaction:
//
// begin_login: the throttle's admission, before any expensive work. A locked or busy
// refusal is audited in tx (commit it); otherwise it names the hash to check the password
// against ("" when the user is unknown or has no password: check against a dummy hash so
// the timing is the same) and holds an in-flight ticket until the result is recorded.
struct LoginStart {
  identity::Admission admission;
  std::optional<store::User> user;  // the account as it was before the check
  std::string password_hash;
  identity::InFlightLogins::Ticket ticket;
  bool admitted() const { return admission.kind == identity::Admission::Kind::kAdmitted; }
};
Result<LoginStart> begin_login(ApiContext& ctx, store::Tx& tx, const CallInfo& call,
                               const LoginCredentials& creds, std::string_view action);

// finish_login: given whether the password matched, checks the account as it is now
// (a password changed meanwhile counts as a failure; disabled, MFA, TOTP with replay
// protection) and records the outcome (rate limiter and audit) in tx. On failure the
// caller must COMMIT (return ok() from the transaction) and then refuse. The Result is an
// error only for store failures.
struct LoginCheck {
  std::optional<store::User> user;  // set on success (TOTP step consumed)
  bool locked = false;              // refused by the rate limiter (lockout)
  bool busy = false;                // refused: as many checks in flight as allowed
  std::int64_t retry_after_s = 0;
};
Result<LoginCheck> finish_login(ApiContext& ctx, store::Tx& tx, const CallInfo& call,
                                const LoginCredentials& creds, std::string_view action,
                                const LoginStart& start, bool password_matches);
// The refusal for a login that was not admitted.
LoginCheck refused_login(const LoginStart& start);
// The refusal to return for a failed LoginCheck (401 with one message, or 429).
http::Response login_refusal(const LoginCheck& check);

// A fresh TOTP seed for user_id: the sealed blob to store and the otpauth URI to show once.
struct NewTotp {
  store::Bytes sealed;
  SecretString uri;
};
Result<NewTotp> new_totp(ApiContext& ctx, std::int64_t user_id, std::string_view email);

// Members may read only themselves and their own devices: PermissionDenied otherwise.
Status member_may_see_user(const Call& call, const store::User& user);
Status member_may_see_device(const Call& call, const store::Device& device);

// node_handlers.cpp
Result<http::Response> handle_enroll(ApiContext&, Call&);
Result<http::Response> handle_renew(ApiContext&, Call&);
Result<http::Response> handle_posture(ApiContext&, Call&);
Result<http::Response> handle_stream(ApiContext&, Call&);
// session_handlers.cpp
Result<http::Response> handle_bootstrap(ApiContext&, Call&);
Result<http::Response> handle_login(ApiContext&, Call&);
Result<http::Response> handle_logout(ApiContext&, Call&);
Result<http::Response> handle_status(ApiContext&, Call&);
// user_handlers.cpp
Result<http::Response> handle_users_list(ApiContext&, Call&);
Result<http::Response> handle_users_create(ApiContext&, Call&);
Result<http::Response> handle_user_get(ApiContext&, Call&);
Result<http::Response> handle_user_disable(ApiContext&, Call&);
Result<http::Response> handle_user_enable(ApiContext&, Call&);
Result<http::Response> handle_user_reset_mfa(ApiContext&, Call&);
Result<http::Response> handle_user_role(ApiContext&, Call&);
Result<http::Response> handle_user_groups(ApiContext&, Call&);
// key_handlers.cpp
Result<http::Response> handle_keys_list(ApiContext&, Call&);
Result<http::Response> handle_keys_create(ApiContext&, Call&);
Result<http::Response> handle_key_revoke(ApiContext&, Call&);
// device_handlers.cpp
Result<http::Response> handle_devices_list(ApiContext&, Call&);
Result<http::Response> handle_device_get(ApiContext&, Call&);
Result<http::Response> handle_device_transition(ApiContext&, Call&);
Result<http::Response> handle_device_rename(ApiContext&, Call&);
Result<http::Response> handle_device_tags(ApiContext&, Call&);
// policy_handlers.cpp
Result<http::Response> handle_policy_check(ApiContext&, Call&);
Result<http::Response> handle_policy_set(ApiContext&, Call&);
Result<http::Response> handle_policy_get(ApiContext&, Call&);
Result<http::Response> handle_policy_history(ApiContext&, Call&);
Result<http::Response> handle_policy_rollback(ApiContext&, Call&);
Result<http::Response> handle_policy_test(ApiContext&, Call&);
Result<http::Response> handle_netmap(ApiContext&, Call&);
Result<http::Response> handle_inventory(ApiContext&, Call&);
// audit_handlers.cpp
Result<http::Response> handle_audit_list(ApiContext&, Call&);
Result<http::Response> handle_audit_verify(ApiContext&, Call&);
Result<http::Response> handle_audit_export(ApiContext&, Call&);

}  // namespace ward::controller
