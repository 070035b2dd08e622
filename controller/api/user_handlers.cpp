// Admin API: users.
#include <string>
#include <vector>

#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/views.hpp"
#include "controller/identity/password.hpp"

namespace ward::controller {
namespace {

bool caller_is_owner(const Call& call) {
  return call.user && call.user->user.role == store::Role::kOwner;
}

// Only an owner may change an owner.
Status may_modify(const Call& call, const store::User& target) {
  if (target.role == store::Role::kOwner && !caller_is_owner(call)) {
    return Error::permission_denied("only an owner may change an owner");
  }
  return ok();
}

// Refuses a change that would leave no enabled owner.
Status keep_an_owner(store::Tx& tx, const store::User& target) {
  if (target.role != store::Role::kOwner || target.disabled) return ok();
  WARD_ASSIGN_OR_RETURN(std::vector<store::User> users, tx.list_users());
  int owners = 0;
  for (const store::User& u : users) {
    if (u.role == store::Role::kOwner && !u.disabled) ++owners;
  }
  if (owners <= 1) return Error::already_exists("this is the last enabled owner");
  return ok();
}

Result<store::User> target_user(store::Tx& tx, Call& call) {
  const std::string email = call.param("email");
  call.target = "user:" + email;
  return tx.user_by_email(email);
}

// Runs change(tx, user) on the {email} user in one transaction with its audit entry, and
// answers the user as it is afterwards.
template <class Change>
Result<http::Response> modify_user(ApiContext& ctx, Call& call, nlohmann::json details,
                                   Change change) {
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::User user, target_user(tx, call));
        WARD_RETURN_IF_ERROR(may_modify(call, user));
        WARD_RETURN_IF_ERROR(change(tx, user, details));
        WARD_RETURN_IF_ERROR(tx.update_user(user));
        call.changed_users = {user.id};
        WARD_ASSIGN_OR_RETURN(store::User after, tx.user_by_id(user.id));
        WARD_RETURN_IF_ERROR(audit_in(ctx, tx, call, call.spec.action, call.target,
                                      audit::Outcome::kSuccess, details));
        if (answer.is_null()) answer = user_json(after);
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

}  // namespace

Result<http::Response> handle_users_list(ApiContext& ctx, Call& call) {
  nlohmann::json list = nlohmann::json::array();
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(std::vector<store::User> users, tx.list_users());
        for (const store::User& u : users) {
          if (member_may_see_user(call, u)) list.push_back(user_json(u));
        }
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, {{"users", list}});
}

Result<http::Response> handle_user_get(ApiContext& ctx, Call& call) {
  nlohmann::json answer;
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        auto user = target_user(tx, call);
        // Members get the same answer for someone else and for no one.
        if (call.is_member() && (!user || user->id != call.user->user.id)) {
          return Error::permission_denied("members may see only their own user");
        }
        if (!user) return user.error();
        answer = user_json(*user);
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

Result<http::Response> handle_users_create(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(CreateUserRequest req, parse_create_user(call.body()));
  call.target = "user:" + req.email;
  if (req.role == store::Role::kOwner && !caller_is_owner(call)) {
    return Error::permission_denied("only an owner may create an owner");
  }
  if (Status s = identity::check_password_policy(req.password); !s) {
    return Error::invalid_argument("$.password: " + s.error().message());
  }
  WARD_ASSIGN_OR_RETURN(std::string password_hash, identity::hash_password(req.password));
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        store::User user;
        user.email = req.email;
        user.display_name = req.display_name;
        user.role = req.role;
        user.groups = req.groups;
        user.password_hash = password_hash;
        WARD_ASSIGN_OR_RETURN(user.id, tx.create_user(user, call.now));
        call.changed_users = {user.id};
        WARD_ASSIGN_OR_RETURN(NewTotp totp, new_totp(ctx, user.id, user.email));
        user.totp_secret_sealed = totp.sealed;
        WARD_RETURN_IF_ERROR(tx.update_user(user));
        WARD_ASSIGN_OR_RETURN(store::User created, tx.user_by_id(user.id));
        WARD_RETURN_IF_ERROR(audit_in(
            ctx, tx, call, "user.create", call.target, audit::Outcome::kSuccess,
            {{"role", std::string(store::role_name(created.role))}, {"groups", created.groups}}));
        answer = {{"user", user_json(created)}, {"totp_uri", std::string(totp.uri.reveal())}};
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(201, answer);
}

Result<http::Response> handle_user_disable(ApiContext& ctx, Call& call) {
  return modify_user(ctx, call, nlohmann::json::object(),
                     [&](store::Tx& tx, store::User& u, nlohmann::json& details) -> Status {
                       WARD_RETURN_IF_ERROR(keep_an_owner(tx, u));
                       u.disabled = true;
                       WARD_ASSIGN_OR_RETURN(std::int64_t n, tx.revoke_user_sessions(u.id));
                       details["sessions_revoked"] = n;
                       return ok();
                     });
}

Result<http::Response> handle_user_enable(ApiContext& ctx, Call& call) {
  return modify_user(ctx, call, nlohmann::json::object(),
                     [](store::Tx&, store::User& u, nlohmann::json&) -> Status {
                       u.disabled = false;
                       return ok();
                     });
}

Result<http::Response> handle_user_reset_mfa(ApiContext& ctx, Call& call) {
  std::optional<SecretString> uri;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::User user, target_user(tx, call));
        WARD_RETURN_IF_ERROR(may_modify(call, user));
        WARD_ASSIGN_OR_RETURN(NewTotp totp, new_totp(ctx, user.id, user.email));
        user.totp_secret_sealed = totp.sealed;
        user.totp_last_step.reset();
        WARD_RETURN_IF_ERROR(tx.update_user(user));
        WARD_ASSIGN_OR_RETURN(std::int64_t n, tx.revoke_user_sessions(user.id));
        WARD_RETURN_IF_ERROR(audit_in(ctx, tx, call, "user.reset_mfa", call.target,
                                      audit::Outcome::kSuccess, {{"sessions_revoked", n}}));
        uri = std::move(totp.uri);
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, {{"totp_uri", std::string(uri->reveal())}});
}

Result<http::Response> handle_user_role(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(store::Role role, parse_role_request(call.body()));
  if (role == store::Role::kOwner && !caller_is_owner(call)) {
    call.target = "user:" + call.param("email");
    return Error::permission_denied("only an owner may make an owner");
  }
  return modify_user(ctx, call, {{"role", std::string(store::role_name(role))}},
                     [&](store::Tx& tx, store::User& u, nlohmann::json& details) -> Status {
                       if (u.role == role) return ok();
                       WARD_RETURN_IF_ERROR(keep_an_owner(tx, u));
                       details["from"] = std::string(store::role_name(u.role));
                       u.role = role;
                       WARD_ASSIGN_OR_RETURN(std::int64_t n, tx.revoke_user_sessions(u.id));
                       details["sessions_revoked"] = n;
                       return ok();
                     });
}

Result<http::Response> handle_user_groups(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::vector<std::string> groups, parse_groups_request(call.body()));
  return modify_user(ctx, call, {{"groups", groups}},
                     [&](store::Tx&, store::User& u, nlohmann::json&) -> Status {
                       u.groups = groups;
                       return ok();
                     });
}

}  // namespace ward::controller
