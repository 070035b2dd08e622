// The route table of the controller's HTTPS API and its authorization rules, in ONE
// place: every route's method, path pattern, credential and allowed roles. The
// dispatcher (api.hpp) checks a request against its RouteSpec before any handler runs,
// from the verified session or client certificate only. Handlers add only the rules
// that depend on data (a member sees only its own devices and user; an admin cannot
// create, change or promote to an owner).
//
// Pure data and functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "controller/store/types.hpp"

namespace ward::controller {

enum class RouteId {
  // node API (docs/protocol.md)
  kEnroll,
  kRenew,
  kPosture,
  kStream,
  // admin API (docs/admin-api.md)
  kBootstrap,
  kLogin,
  kLogout,
  kStatus,
  kUsersList,
  kUsersCreate,
  kUserGet,
  kUserDisable,
  kUserEnable,
  kUserResetMfa,
  kUserRole,
  kUserGroups,
  kKeysList,
  kKeysCreate,
  kKeyRevoke,
  kDevicesList,
  kDeviceGet,
  kDeviceApprove,
  kDeviceRevoke,
  kDeviceQuarantine,
  kDeviceUnquarantine,
  kDeviceExpire,
  kDeviceRename,
  kDeviceTags,
  kAuditList,
  kAuditVerify,
  kAuditExport,
  kPolicyCheck,
  kPolicySet,
  kPolicyGet,
  kPolicyHistory,
  kPolicyRollback,
  kPolicyTest,
  kNetmap,
  kInventory,
};

// What a route needs before its handler runs.
enum class Credential {
  kNone,     // anyone (enroll, bootstrap, login: they carry their own proof)
  kDevice,   // a verified device client certificate (mTLS), never a session
  kSession,  // a valid admin session token, never a client certificate
};

// Role bits for RouteSpec::roles.
inline constexpr unsigned kOwnerBit = 1u << 0;
inline constexpr unsigned kAdminBit = 1u << 1;
inline constexpr unsigned kAuditorBit = 1u << 2;
inline constexpr unsigned kMemberBit = 1u << 3;
inline constexpr unsigned kEveryRole = kOwnerBit | kAdminBit | kAuditorBit | kMemberBit;
inline constexpr unsigned kReaders = kEveryRole;  // members are filtered to their own
inline constexpr unsigned kManagers = kOwnerBit | kAdminBit;
inline constexpr unsigned kAuditReaders = kOwnerBit | kAdminBit | kAuditorBit;

struct RouteSpec {
  RouteId id;
  std::string_view method;
  std::string_view pattern;  // http::Router pattern
  Credential credential;
  unsigned roles;           // kSession routes: who may call it
  std::string_view action;  // audit action for this route ("device.approve")
  bool changes_state;       // audited on success and on refusal
};

// Every route, in a stable order.
std::span<const RouteSpec> route_table();

// The spec of one route (every RouteId has exactly one).
const RouteSpec& route_spec(RouteId id);

unsigned role_bit(store::Role role);

// True when a session of `role` may call the route. Always false for routes whose
// credential is not kSession.
bool role_allowed(const RouteSpec& spec, store::Role role);

}  // namespace ward::controller
