// Admin API: devices.
#include <map>
#include <string>
#include <vector>

#include "controller/api/device_state.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/views.hpp"

namespace ward::controller {
namespace {

Result<std::optional<std::string>> owner_email(store::Tx& tx, const store::Device& d) {
  if (!d.user_id) return std::optional<std::string>();
  WARD_ASSIGN_OR_RETURN(store::User u, tx.user_by_id(*d.user_id));
  return std::optional<std::string>(u.email);
}

// {device} is an id ("dev_7") or a name.
Result<store::Device> target_device(store::Tx& tx, Call& call) {
  const std::string ref = call.param("device");
  auto id = parse_device_public_id(ref);
  auto d = id ? tx.device_by_id(*id) : tx.device_by_name(ref);
  if (!d) {
    call.target = "device:" + ref;
    if (call.is_member()) return Error::permission_denied("members may see only their own devices");
    if (d.error().code() == ErrorCode::kNotFound)
      return Error::not_found("no device " + quote(ref));
    return d.error();
  }
  call.target = "device:" + device_public_id(d->id);
  WARD_RETURN_IF_ERROR(member_may_see_device(call, *d));
  return d;
}

template <class Change>
Result<http::Response> modify_device(ApiContext& ctx, Call& call, Change change) {
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::Device d, target_device(tx, call));
        nlohmann::json details = nlohmann::json::object();
        WARD_RETURN_IF_ERROR(change(d, details));
        WARD_RETURN_IF_ERROR(tx.update_device(d));
        call.changed_devices = {d.id};
        WARD_ASSIGN_OR_RETURN(store::Device after, tx.device_by_id(d.id));
        WARD_RETURN_IF_ERROR(audit_in(ctx, tx, call, call.spec.action, call.target,
                                      audit::Outcome::kSuccess, details));
        WARD_ASSIGN_OR_RETURN(auto email, owner_email(tx, after));
        answer = device_json(after, email);
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

DeviceAction action_of(RouteId id) {
  switch (id) {
    case RouteId::kDeviceApprove:
      return DeviceAction::kApprove;
    case RouteId::kDeviceQuarantine:
      return DeviceAction::kQuarantine;
    case RouteId::kDeviceUnquarantine:
      return DeviceAction::kUnquarantine;
    case RouteId::kDeviceExpire:
      return DeviceAction::kExpire;
    default:
      return DeviceAction::kRevoke;
  }
}

}  // namespace

Result<http::Response> handle_devices_list(ApiContext& ctx, Call& call) {
  nlohmann::json list = nlohmann::json::array();
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        std::map<std::int64_t, std::string> emails;
        WARD_ASSIGN_OR_RETURN(std::vector<store::User> users, tx.list_users());
        for (const store::User& u : users)
          emails[u.id] = u.email;
        const std::optional<std::int64_t> only =
            call.is_member() ? std::optional<std::int64_t>(call.user->user.id) : std::nullopt;
        WARD_ASSIGN_OR_RETURN(std::vector<store::Device> devices, tx.list_devices(only));
        for (const store::Device& d : devices) {
          std::optional<std::string> email;
          if (d.user_id && emails.count(*d.user_id)) email = emails[*d.user_id];
          list.push_back(device_json(d, email));
        }
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, {{"devices", list}});
}

Result<http::Response> handle_device_get(ApiContext& ctx, Call& call) {
  nlohmann::json answer;
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::Device d, target_device(tx, call));
        WARD_ASSIGN_OR_RETURN(auto email, owner_email(tx, d));
        answer = device_json(d, email);
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

Result<http::Response> handle_device_transition(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::string reason, parse_reason(call.body()));
  const DeviceAction action = action_of(call.spec.id);
  return modify_device(ctx, call, [&](store::Device& d, nlohmann::json& details) -> Status {
    WARD_ASSIGN_OR_RETURN(store::DeviceStatus to, device_transition(d.status, action));
    details["from"] = std::string(store::device_status_name(d.status));
    details["to"] = std::string(store::device_status_name(to));
    if (!reason.empty()) details["reason"] = reason;
    d.status = to;
    // What the node is told: the action and the admin's reason, not who acted (the audit
    // log keeps that).
    call.change_reason = "device " + std::string(store::device_status_name(to)) +
                         (reason.empty() ? "" : ": " + reason);
    return ok();
  });
}

Result<http::Response> handle_device_rename(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::string name, parse_rename(call.body()));
  return modify_device(ctx, call, [&](store::Device& d, nlohmann::json& details) -> Status {
    details["from"] = d.name;
    details["to"] = name;
    d.name = name;
    return ok();
  });
}

Result<http::Response> handle_device_tags(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::vector<std::string> tags, parse_tags_request(call.body()));
  return modify_device(ctx, call, [&](store::Device& d, nlohmann::json& details) -> Status {
    if (tags.empty() && !d.user_id) {
      return Error::invalid_argument("$.tags: a device without an owner needs at least one tag");
    }
    details["from"] = d.tags;
    details["to"] = tags;
    d.tags = tags;
    return ok();
  });
}

}  // namespace ward::controller
