#include "controller/api/device_state.hpp"

#include <string>

namespace ward::controller {

using store::DeviceStatus;

std::string_view device_action_name(DeviceAction action) {
  switch (action) {
    case DeviceAction::kApprove:
      return "approve";
    case DeviceAction::kRevoke:
      return "revoke";
    case DeviceAction::kQuarantine:
      return "quarantine";
    case DeviceAction::kUnquarantine:
      return "unquarantine";
    case DeviceAction::kExpire:
      return "expire";
  }
  return "?";
}

Result<DeviceStatus> device_transition(DeviceStatus from, DeviceAction action) {
  std::optional<DeviceStatus> to;
  switch (action) {
    case DeviceAction::kApprove:
      if (from == DeviceStatus::kPending) to = DeviceStatus::kActive;
      break;
    case DeviceAction::kRevoke:
      if (from != DeviceStatus::kRevoked) to = DeviceStatus::kRevoked;
      break;
    case DeviceAction::kQuarantine:
      if (from == DeviceStatus::kActive) to = DeviceStatus::kQuarantined;
      break;
    case DeviceAction::kUnquarantine:
      if (from == DeviceStatus::kQuarantined) to = DeviceStatus::kActive;
      break;
    case DeviceAction::kExpire:
      if (from == DeviceStatus::kActive || from == DeviceStatus::kQuarantined) {
        to = DeviceStatus::kExpired;
      }
      break;
  }
  if (!to) {
    return Error::already_exists("cannot " + std::string(device_action_name(action)) +
                                 " a device that is " +
                                 std::string(store::device_status_name(from)));
  }
  return *to;
}

}  // namespace ward::controller
