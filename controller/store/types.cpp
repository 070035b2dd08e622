#include "controller/store/types.hpp"

#include <array>
#include <string>
#include <utility>

namespace ward::store {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoles{{
    {Role::kOwner, "owner"},
    {Role::kAdmin, "admin"},
    {Role::kAuditor, "auditor"},
    {Role::kMember, "member"},
}};

constexpr std::array<std::pair<DeviceStatus, std::string_view>, 5> kStatuses{{
    {DeviceStatus::kPending, "pending"},
    {DeviceStatus::kActive, "active"},
    {DeviceStatus::kQuarantined, "quarantined"},
    {DeviceStatus::kRevoked, "revoked"},
    {DeviceStatus::kExpired, "expired"},
}};

}  // namespace

std::string_view role_name(Role role) {
  for (const auto& [r, n] : kRoles) {
    if (r == role) return n;
  }
  return "invalid";
}

Result<Role> parse_role(std::string_view name) {
  for (const auto& [r, n] : kRoles) {
    if (n == name) return r;
  }
  return Error::invalid_argument("unknown role " + quote(name) +
                                 "; expected owner, admin, auditor or member");
}

std::string_view device_status_name(DeviceStatus status) {
  for (const auto& [s, n] : kStatuses) {
    if (s == status) return n;
  }
  return "invalid";
}

Result<DeviceStatus> parse_device_status(std::string_view name) {
  for (const auto& [s, n] : kStatuses) {
    if (n == name) return s;
  }
  return Error::invalid_argument("unknown device status " + quote(name) +
                                 "; expected pending, active, quarantined, revoked or expired");
}

}  // namespace ward::store
