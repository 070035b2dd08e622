// Admin sessions: bootstrap of the first owner, login, logout, status.
#include <map>
#include <memory>
#include <string>

#include "common/crypto/encoding.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/password_check.hpp"
#include "controller/api/views.hpp"
#include "controller/identity/password.hpp"
#include "controller/identity/tokens.hpp"

namespace ward::controller {

Result<http::Response> handle_bootstrap(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(BootstrapRequest req, parse_bootstrap(call.body()));
  if (Status s = identity::check_password_policy(req.password); !s) {
    return Error::invalid_argument("$.password: " + s.error().message());
  }
  const Error refused = Error::unauthenticated("invalid or already used bootstrap token");
  const std::string token(req.bootstrap_token.reveal());
  if (!identity::check_token_format(identity::TokenKind::kBootstrap, token)) {
    audit_alone(ctx, call, "controller.bootstrap", "user:" + req.email, audit::Outcome::kFailure,
                {{"reason", "malformed bootstrap token"}});
    return refused;
  }
  WARD_ASSIGN_OR_RETURN(std::string password_hash, identity::hash_password(req.password));
  std::optional<std::string> failure;
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                              tx.setting(setting::kBootstrapTokenHash));
        WARD_ASSIGN_OR_RETURN(std::int64_t users, tx.count_users());
        if (!stored || *stored == "used" || users != 0) {
          failure = "bootstrap already done";
        } else {
          auto hash = crypto::hex_decode(*stored);
          if (!hash) return Error::corruption("stored bootstrap token hash is not hex");
          if (!identity::token_matches(token, *hash)) failure = "wrong bootstrap token";
        }
        if (failure) {
          return audit_in(ctx, tx, call, "controller.bootstrap", "user:" + req.email,
                          audit::Outcome::kFailure, {{"reason", *failure}});
        }
        store::User user;
        user.email = req.email;
        user.display_name = req.display_name;
        user.role = store::Role::kOwner;
        user.password_hash = password_hash;
        WARD_ASSIGN_OR_RETURN(user.id, tx.create_user(user, call.now));
        call.changed_users = {user.id};
        WARD_ASSIGN_OR_RETURN(NewTotp totp, new_totp(ctx, user.id, user.email));
        user.totp_secret_sealed = totp.sealed;
        WARD_RETURN_IF_ERROR(tx.update_user(user));
        WARD_RETURN_IF_ERROR(tx.set_setting(setting::kBootstrapTokenHash, "used", call.now));
        WARD_ASSIGN_OR_RETURN(store::User created, tx.user_by_id(user.id));
        call.user = Principal{created, 0};
        WARD_RETURN_IF_ERROR(audit_in(ctx, tx, call, "controller.bootstrap",
                                      "user:" + created.email, audit::Outcome::kSuccess,
                                      {{"role", "owner"}}));
        answer = {{"user", user_json(created)}, {"totp_uri", std::string(totp.uri.reveal())}};
        return ok();
      });
      !tx_status)
    return tx_status.error();
  if (failure) return refused;
  return json_response(200, answer);
}

Result<http::Response> handle_login(ApiContext& ctx, Call& call) {
  std::string body = call.body();
  auto parsed = parse_login(body);
  secure_wipe(body.data(), body.size());
  if (!parsed) return std::move(parsed).error();
  auto creds = std::make_shared<LoginCredentials>(std::move(*parsed));
  auto start = std::make_shared<LoginStart>();
  Status begun = ctx.store.transaction([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(*start, begin_login(ctx, tx, call, *creds, "user.login"));
    return ok();  // commit an audited refusal
  });
  if (!begun) return begun.error();
  if (!start->admitted()) return login_refusal(refused_login(*start));
  SecretString password = std::move(creds->password);
  std::string encoded = start->password_hash;
  return check_password_then(
      ctx, call, std::move(password), std::move(encoded),
      [creds, start](ApiContext& c, CallInfo& info, bool matched) -> Result<http::Response> {
        LoginCheck check;
        std::optional<identity::IssuedSession> issued;
        Status tx_status = c.store.transaction([&](store::Tx& tx) -> Status {
          WARD_ASSIGN_OR_RETURN(check,
                                finish_login(c, tx, info, *creds, "user.login", *start, matched));
          if (!check.user) return ok();  // commit the recorded failure
          WARD_ASSIGN_OR_RETURN(identity::IssuedSession s,
                                identity::issue_session(check.user->id, info.source, info.now,
                                                        c.config.session_policy));
          WARD_RETURN_IF_ERROR(tx.create_session(s.record));
          issued.emplace(std::move(s));
          return ok();
        });
        if (!tx_status) return tx_status.error();
        if (!check.user || !issued) return login_refusal(check);
        const auto idle =
            std::chrono::duration_cast<std::chrono::seconds>(c.config.session_policy.idle_timeout);
        nlohmann::json answer = {{"token", std::string(issued->token.reveal())},
                                 {"expires_at", format_time(issued->record.expires_at)},
                                 {"idle_timeout_s", idle.count()},
                                 {"user", user_json(*check.user)}};
        return json_response(200, answer);
      });
}

Result<http::Response> handle_logout(ApiContext& ctx, Call& call) {
  call.target = "user:" + call.user->user.email;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_RETURN_IF_ERROR(tx.revoke_session(call.user->session_id));
        return audit_in(ctx, tx, call, "user.logout", call.target, audit::Outcome::kSuccess);
      });
      !tx_status)
    return tx_status.error();
  return no_content();
}

Result<http::Response> handle_status(ApiContext& ctx, Call& call) {
  nlohmann::json answer;
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(std::int64_t users, tx.count_users());
        const std::optional<std::int64_t> only =
            call.is_member() ? std::optional<std::int64_t>(call.user->user.id) : std::nullopt;
        WARD_ASSIGN_OR_RETURN(std::vector<store::Device> devices, tx.list_devices(only));
        nlohmann::json counts = {
            {"pending", 0}, {"active", 0}, {"quarantined", 0}, {"revoked", 0}, {"expired", 0}};
        for (const store::Device& d : devices) {
          auto& n = counts[std::string(store::device_status_name(d.status))];
          n = n.get<std::int64_t>() + 1;
        }
        nlohmann::json policy_version = nullptr;
        auto policy = tx.latest_policy();
        if (policy) {
          policy_version = policy->version;
        } else if (policy.error().code() != ErrorCode::kNotFound) {
          return policy.error();
        }
        const auto uptime =
            std::chrono::duration_cast<std::chrono::seconds>(call.now - ctx.started_at);
        answer = {{"version", ctx.config.version},         {"uptime_s", uptime.count()},
                  {"users", call.is_member() ? 1 : users}, {"devices", counts},
                  {"policy_version", policy_version},      {"you", user_json(call.user->user)}};
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

}  // namespace ward::controller
