// Device state transitions an administrator may ask for (docs/admin-api.md):
//   pending -> active (approve); active <-> quarantined; any -> revoked (final);
//   active/quarantined -> expired.
// Pure. An illegal transition is AlreadyExists (409) naming both states.
#pragma once

#include <string_view>

#include "common/base/result.hpp"
#include "controller/store/types.hpp"

namespace ward::controller {

enum class DeviceAction { kApprove, kRevoke, kQuarantine, kUnquarantine, kExpire };

std::string_view device_action_name(DeviceAction action);  // "approve", ...

Result<store::DeviceStatus> device_transition(store::DeviceStatus from, DeviceAction action);

}  // namespace ward::controller
