#include "controller/api/authz.hpp"

#include <array>
#include <cstdlib>

namespace ward::controller {
namespace {

using C = Credential;

constexpr std::array kRoutes = {
    RouteSpec{RouteId::kEnroll, "POST", "/v1/enroll", C::kNone, 0, "device.enroll", true},
    RouteSpec{RouteId::kRenew, "POST", "/v1/renew", C::kDevice, 0, "device.renew", true},
    RouteSpec{RouteId::kPosture, "POST", "/v1/posture", C::kDevice, 0, "device.posture", true},
    RouteSpec{RouteId::kStream, "GET", "/v1/stream", C::kDevice, 0, "device.stream", false},

    RouteSpec{RouteId::kBootstrap, "POST", "/v1/admin/bootstrap", C::kNone, 0,
              "controller.bootstrap", true},
    RouteSpec{RouteId::kLogin, "POST", "/v1/admin/login", C::kNone, 0, "user.login", true},
    RouteSpec{RouteId::kLogout, "POST", "/v1/admin/logout", C::kSession, kEveryRole, "user.logout",
              true},
    RouteSpec{RouteId::kStatus, "GET", "/v1/admin/status", C::kSession, kEveryRole,
              "controller.status", false},

    RouteSpec{RouteId::kUsersList, "GET", "/v1/admin/users", C::kSession, kReaders, "user.list",
              false},
    RouteSpec{RouteId::kUsersCreate, "POST", "/v1/admin/users", C::kSession, kManagers,
              "user.create", true},
    RouteSpec{RouteId::kUserGet, "GET", "/v1/admin/users/{email}", C::kSession, kReaders,
              "user.show", false},
    RouteSpec{RouteId::kUserDisable, "POST", "/v1/admin/users/{email}/disable", C::kSession,
              kManagers, "user.disable", true},
    RouteSpec{RouteId::kUserEnable, "POST", "/v1/admin/users/{email}/enable", C::kSession,
              kManagers, "user.enable", true},
    RouteSpec{RouteId::kUserResetMfa, "POST", "/v1/admin/users/{email}/reset-mfa", C::kSession,
              kManagers, "user.reset_mfa", true},
    RouteSpec{RouteId::kUserRole, "POST", "/v1/admin/users/{email}/role", C::kSession, kManagers,
              "user.set_role", true},
    RouteSpec{RouteId::kUserGroups, "POST", "/v1/admin/users/{email}/groups", C::kSession,
              kManagers, "user.set_groups", true},

    RouteSpec{RouteId::kKeysList, "GET", "/v1/admin/keys", C::kSession, kAuditReaders, "key.list",
              false},
    RouteSpec{RouteId::kKeysCreate, "POST", "/v1/admin/keys", C::kSession, kManagers, "key.create",
              true},
    RouteSpec{RouteId::kKeyRevoke, "POST", "/v1/admin/keys/{id}/revoke", C::kSession, kManagers,
              "key.revoke", true},

    RouteSpec{RouteId::kDevicesList, "GET", "/v1/admin/devices", C::kSession, kReaders,
              "device.list", false},
    RouteSpec{RouteId::kDeviceGet, "GET", "/v1/admin/devices/{device}", C::kSession, kReaders,
              "device.show", false},
    RouteSpec{RouteId::kDeviceApprove, "POST", "/v1/admin/devices/{device}/approve", C::kSession,
              kManagers, "device.approve", true},
    RouteSpec{RouteId::kDeviceRevoke, "POST", "/v1/admin/devices/{device}/revoke", C::kSession,
              kManagers, "device.revoke", true},
    RouteSpec{RouteId::kDeviceQuarantine, "POST", "/v1/admin/devices/{device}/quarantine",
              C::kSession, kManagers, "device.quarantine", true},
    RouteSpec{RouteId::kDeviceUnquarantine, "POST", "/v1/admin/devices/{device}/unquarantine",
              C::kSession, kManagers, "device.unquarantine", true},
    RouteSpec{RouteId::kDeviceExpire, "POST", "/v1/admin/devices/{device}/expire", C::kSession,
              kManagers, "device.expire", true},
    RouteSpec{RouteId::kDeviceRename, "POST", "/v1/admin/devices/{device}/rename", C::kSession,
              kManagers, "device.rename", true},
    RouteSpec{RouteId::kDeviceTags, "POST", "/v1/admin/devices/{device}/tags", C::kSession,
              kManagers, "device.set_tags", true},

    RouteSpec{RouteId::kAuditList, "GET", "/v1/admin/audit", C::kSession, kAuditReaders,
              "audit.list", false},
    RouteSpec{RouteId::kAuditVerify, "GET", "/v1/admin/audit/verify", C::kSession, kAuditReaders,
              "audit.verify", false},
    RouteSpec{RouteId::kAuditExport, "GET", "/v1/admin/audit/export", C::kSession, kAuditReaders,
              "audit.export", false},

    RouteSpec{RouteId::kPolicyCheck, "POST", "/v1/admin/policy/check", C::kSession, kAuditReaders,
              "policy.check", false},
    RouteSpec{RouteId::kPolicySet, "PUT", "/v1/admin/policy", C::kSession, kManagers, "policy.set",
              true},
    RouteSpec{RouteId::kPolicyGet, "GET", "/v1/admin/policy", C::kSession, kAuditReaders,
              "policy.show", false},
    RouteSpec{RouteId::kPolicyHistory, "GET", "/v1/admin/policy/history", C::kSession,
              kAuditReaders, "policy.history", false},
    RouteSpec{RouteId::kPolicyRollback, "POST", "/v1/admin/policy/rollback", C::kSession, kManagers,
              "policy.rollback", true},
    RouteSpec{RouteId::kPolicyTest, "POST", "/v1/admin/policy/test", C::kSession, kAuditReaders,
              "policy.test", false},
    RouteSpec{RouteId::kNetmap, "GET", "/v1/admin/netmap/{device}", C::kSession, kReaders,
              "netmap.show", false},
    RouteSpec{RouteId::kInventory, "GET", "/v1/admin/inventory", C::kSession, kAuditReaders,
              "inventory.export", false},
};

}  // namespace

std::span<const RouteSpec> route_table() {
  return kRoutes;
}

const RouteSpec& route_spec(RouteId id) {
  for (const RouteSpec& spec : kRoutes) {
    if (spec.id == id) return spec;
  }
  std::abort();  // every RouteId is in the table (route table test)
}

unsigned role_bit(store::Role role) {
  switch (role) {
    case store::Role::kOwner:
      return kOwnerBit;
    case store::Role::kAdmin:
      return kAdminBit;
    case store::Role::kAuditor:
      return kAuditorBit;
    case store::Role::kMember:
      return kMemberBit;
  }
  return 0;
}

bool role_allowed(const RouteSpec& spec, store::Role role) {
  return spec.credential == Credential::kSession && (spec.roles & role_bit(role)) != 0;
}

}  // namespace ward::controller
