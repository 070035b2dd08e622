#include "controller/api/api.hpp"

#include <exception>
#include <string>

#include "common/log/log.hpp"
#include "common/uv/address.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/netmap_hub.hpp"
#include "controller/api/password_check.hpp"
#include "controller/api/views.hpp"
#include "controller/identity/tokens.hpp"

namespace ward::controller {
namespace {

Handler handler_for(RouteId id) {
  switch (id) {
    case RouteId::kEnroll:
      return &handle_enroll;
    case RouteId::kRenew:
      return &handle_renew;
    case RouteId::kPosture:
      return &handle_posture;
    case RouteId::kStream:
      return &handle_stream;
    case RouteId::kBootstrap:
      return &handle_bootstrap;
    case RouteId::kLogin:
      return &handle_login;
    case RouteId::kLogout:
      return &handle_logout;
    case RouteId::kStatus:
      return &handle_status;
    case RouteId::kUsersList:
      return &handle_users_list;
    case RouteId::kUsersCreate:
      return &handle_users_create;
    case RouteId::kUserGet:
      return &handle_user_get;
    case RouteId::kUserDisable:
      return &handle_user_disable;
    case RouteId::kUserEnable:
      return &handle_user_enable;
    case RouteId::kUserResetMfa:
      return &handle_user_reset_mfa;
    case RouteId::kUserRole:
      return &handle_user_role;
    case RouteId::kUserGroups:
      return &handle_user_groups;
    case RouteId::kKeysList:
      return &handle_keys_list;
    case RouteId::kKeysCreate:
      return &handle_keys_create;
    case RouteId::kKeyRevoke:
      return &handle_key_revoke;
    case RouteId::kDevicesList:
      return &handle_devices_list;
    case RouteId::kDeviceGet:
      return &handle_device_get;
    case RouteId::kDeviceApprove:
    case RouteId::kDeviceRevoke:
    case RouteId::kDeviceQuarantine:
    case RouteId::kDeviceUnquarantine:
    case RouteId::kDeviceExpire:
      return &handle_device_transition;
    case RouteId::kDeviceRename:
      return &handle_device_rename;
    case RouteId::kDeviceTags:
      return &handle_device_tags;
    case RouteId::kAuditList:
      return &handle_audit_list;
    case RouteId::kAuditVerify:
      return &handle_audit_verify;
    case RouteId::kAuditExport:
      return &handle_audit_export;
    case RouteId::kPolicyCheck:
      return &handle_policy_check;
    case RouteId::kPolicySet:
      return &handle_policy_set;
    case RouteId::kPolicyGet:
      return &handle_policy_get;
    case RouteId::kPolicyHistory:
      return &handle_policy_history;
    case RouteId::kPolicyRollback:
      return &handle_policy_rollback;
    case RouteId::kPolicyTest:
      return &handle_policy_test;
    case RouteId::kNetmap:
      return &handle_netmap;
    case RouteId::kInventory:
      return &handle_inventory;
  }
  return nullptr;
}

std::string source_ip(const std::string& peer) {
  auto addr = uv::SocketAddress::parse(peer);
  return addr ? addr->ip() : std::string();
}

// The bearer token of the Authorization header; "" when absent or not "Bearer".
std::string_view bearer_token(const http::Request& request) {
  auto h = request.headers.get("Authorization");
  if (!h || h->size() <= 7 || !http::iequals(h->substr(0, 7), "Bearer ")) return {};
  return h->substr(7);
}

Status authenticate_device(ApiContext& ctx, Call& call) {
  const auto& der = call.http.peer_certificate_der();
  if (!der) return Error::unauthenticated("this endpoint needs a device certificate (mTLS)");
  auto cert = crypto::Certificate::from_der(*der);
  if (!cert) return Error::unauthenticated("unreadable client certificate");
  if (Status s = crypto::verify_certificate(*cert, ctx.ca, call.now); !s) {
    return Error::unauthenticated("client certificate refused: " + s.error().message());
  }
  auto id = parse_device_public_id(cert->common_name());
  if (!id) return Error::unauthenticated("client certificate does not name a device");
  auto device =
      ctx.store.read_value<store::Device>([&](store::Tx& tx) { return tx.device_by_id(*id); });
  if (!device) {
    if (device.error().code() == ErrorCode::kNotFound) {
      return Error::unauthenticated("client certificate names an unknown device");
    }
    return device.error();
  }
  call.device = std::move(*device);
  if (!ct_equal(call.device->cert_serial, cert->serial_hex())) {
    return Error::unauthenticated("client certificate was superseded by a newer one");
  }
  return ok();
}

Status authenticate_session(ApiContext& ctx, Call& call) {
  if (call.http.peer_certificate_der()) {
    return Error::unauthenticated("a device certificate is not an admin credential");
  }
  const std::string_view token = bearer_token(call.http.request());
  if (token.empty()) return Error::unauthenticated("missing Authorization: Bearer token");
  if (!identity::check_token_format(identity::TokenKind::kSession, token)) {
    return Error::unauthenticated("malformed session token");
  }
  const store::Bytes hash = identity::token_hash(token);
  return ctx.store.transaction([&](store::Tx& tx) -> Status {
    auto session = tx.session_by_token_hash(hash);
    if (!session) {
      if (session.error().code() == ErrorCode::kNotFound) {
        return Error::unauthenticated("unknown session token");
      }
      return session.error();
    }
    WARD_RETURN_IF_ERROR(identity::check_session(*session, call.now, ctx.config.session_policy));
    WARD_ASSIGN_OR_RETURN(store::User user, tx.user_by_id(session->user_id));
    if (user.disabled) return Error::unauthenticated("user is disabled");
    WARD_RETURN_IF_ERROR(tx.touch_session(session->id, call.now));
    call.user = Principal{std::move(user), session->id};
    return ok();
  });
}

// Tells the netmap hub what a successful handler committed (users first: a device's
// owner must be known before the device).
void report_changes(ApiContext& ctx, const CallInfo& call) {
  if (ctx.netmaps == nullptr) return;
  for (std::int64_t id : call.changed_users)
    ctx.netmaps->user_changed(id, ctx.now());
  for (std::int64_t id : call.changed_devices)
    ctx.netmaps->device_changed(id, call.change_reason, ctx.now());
}

// Authenticates, authorizes and runs the handler. Sets call.deferred when the handler
// will answer later (the returned Response is then discarded).
http::Response run(ApiContext& ctx, Call& call, Handler handler) {
  const RouteSpec& spec = call.spec;
  const std::string path = call.http.request().path;
  if (spec.credential == Credential::kDevice) {
    if (Status s = authenticate_device(ctx, call); !s) {
      if (!s.error().message().empty() && s.error().code() == ErrorCode::kUnauthenticated) {
        audit_alone(ctx, call, "device.auth", "path:" + path, audit::Outcome::kFailure,
                    {{"reason", s.error().message()}});
      }
      return error_response(s.error());
    }
  } else if (spec.credential == Credential::kSession) {
    if (Status s = authenticate_session(ctx, call); !s) {
      if (s.error().code() == ErrorCode::kUnauthenticated) {
        audit_alone(ctx, call, "session.auth", "path:" + path, audit::Outcome::kFailure,
                    {{"reason", s.error().message()}});
        return error_response(Error::unauthenticated(s.error().message()));
      }
      ctx.log->error("session check failed: {}", s.error().to_string());
      return error_response(s.error());
    }
    if (!role_allowed(spec, call.user->user.role)) {
      audit_alone(
          ctx, call, spec.action, "path:" + path, audit::Outcome::kDenied,
          {{"reason", "role"}, {"role", std::string(store::role_name(call.user->user.role))}});
      return error_response(Error::permission_denied(
          "role " + std::string(store::role_name(call.user->user.role)) + " may not " +
          std::string(spec.method) + " " + std::string(spec.pattern)));
    }
  }
  Result<http::Response> r = Error::internal("handler did not run");
  try {
    r = handler(ctx, call);
  } catch (const std::exception& e) {
    r = Error::internal(std::string("handler threw: ") + e.what());
  }
  if (call.deferred) return http::Response{};
  return finish_call(ctx, call, path, std::move(r));
}

}  // namespace

http::Response finish_call(ApiContext& ctx, CallInfo& call, const std::string& path,
                           Result<http::Response> r) {
  const RouteSpec& spec = call.spec;
  http::Response resp;
  if (r) {
    report_changes(ctx, call);
    resp = std::move(r).value();
  } else {
    const Error& err = r.error();
    if (is_server_error(err.code())) {
      ctx.log->error("{} {} failed: {}", spec.method, spec.pattern, err.to_string());
    }
    if (spec.changes_state && spec.credential != Credential::kNone) {
      audit_alone(ctx, call, spec.action, call.target.empty() ? "path:" + path : call.target,
                  err.code() == ErrorCode::kPermissionDenied ? audit::Outcome::kDenied
                                                             : audit::Outcome::kFailure,
                  {{"error", std::string(error_code_name(err.code()))}});
    }
    resp = error_response(err);
  }
  return resp;
}

void log_request(ApiContext& ctx, const RouteSpec& spec, int status, const std::string& peer) {
  log::info(*ctx.log, "request",
            {{"method", spec.method}, {"route", spec.pattern}, {"status", status}, {"peer", peer}});
}

audit::Actor call_actor(const CallInfo& call) {
  if (call.user) return audit::Actor::user(call.user->user.id, call.user->user.email);
  if (call.device) return audit::Actor::device(call.device->id, call.device->name);
  return audit::Actor::system();
}

Status audit_in(ApiContext& ctx, store::Tx& tx, const CallInfo& call, std::string_view action,
                std::string target, audit::Outcome outcome, nlohmann::json details) {
  audit::Event event{call_actor(call),  call.source, std::string(action),
                     std::move(target), outcome,     std::move(details)};
  auto seq = ctx.audit.append(tx, event, call.now);
  if (!seq) return std::move(seq).error();
  return ok();
}

void audit_alone(ApiContext& ctx, const audit::Actor& actor, const std::string& source,
                 std::string_view action, std::string target, audit::Outcome outcome,
                 nlohmann::json details) {
  audit::Event event{
      actor, source, std::string(action), std::move(target), outcome, std::move(details)};
  Status s = ctx.store.transaction([&](store::Tx& tx) -> Status {
    auto seq = ctx.audit.append(tx, event, ctx.now());
    if (!seq) return std::move(seq).error();
    return ok();
  });
  if (!s) ctx.log->error("could not audit {}: {}", action, s.error().to_string());
}

void audit_alone(ApiContext& ctx, const CallInfo& call, std::string_view action, std::string target,
                 audit::Outcome outcome, nlohmann::json details) {
  audit_alone(ctx, call_actor(call), call.source, action, std::move(target), outcome,
              std::move(details));
}

Status member_may_see_user(const Call& call, const store::User& user) {
  if (call.is_member() && user.id != call.user->user.id) {
    return Error::permission_denied("members may see only their own user");
  }
  return ok();
}

Status member_may_see_device(const Call& call, const store::Device& device) {
  if (call.is_member() && device.user_id != call.user->user.id) {
    return Error::permission_denied("members may see only their own devices");
  }
  return ok();
}

Status Api::install(http::Server& server) {
  for (const RouteSpec& spec : route_table()) {
    Handler handler = handler_for(spec.id);
    if (handler == nullptr) return Error::internal("no handler for " + std::string(spec.pattern));
    ApiContext* ctx = &ctx_;
    const RouteSpec* s = &spec;
    WARD_RETURN_IF_ERROR(
        server.route(spec.method, spec.pattern, [ctx, s, handler](http::RequestContext& hctx) {
          Call call(hctx, *s, source_ip(hctx.peer_address()), ctx->now());
          http::Response resp = run(*ctx, call, handler);
          if (!call.deferred) log_request(*ctx, *s, resp.status, hctx.peer_address());
          return resp;
        }));
  }
  return ok();
}

}  // namespace ward::controller
