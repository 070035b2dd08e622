// Named controller settings with typed accessors over Tx::setting / Tx::set_setting.
// A missing setting yields its default; a stored value that does not parse is
// Corruption (fail closed: never silently fall back to a weaker default).
#pragma once

#include <chrono>
#include <string_view>

#include "common/base/result.hpp"
#include "controller/store/store.hpp"

namespace ward::store {

// "true"/"false". Default true: user devices wait for an admin's approval.
inline constexpr std::string_view kRequireDeviceApproval = "require_device_approval";
// Seconds, as a decimal integer. Default 86400 (24 h).
inline constexpr std::string_view kDeviceCertLifetime = "device_cert_lifetime";
// Seconds. Default 43200 (12 h) absolute and 1800 (30 min) idle.
inline constexpr std::string_view kSessionLifetime = "session_lifetime";
inline constexpr std::string_view kSessionIdleTimeout = "session_idle_timeout";
// Seconds. Default 3600 (1 h).
inline constexpr std::string_view kEnrollmentKeyLifetime = "enrollment_key_lifetime";

Result<bool> bool_setting(Tx& tx, std::string_view key, bool fallback);
Status set_bool_setting(Tx& tx, std::string_view key, bool value, Time now);

// Durations are stored as whole seconds; values must be in [1, 10 years].
Result<std::chrono::seconds> seconds_setting(Tx& tx, std::string_view key,
                                             std::chrono::seconds fallback);
Status set_seconds_setting(Tx& tx, std::string_view key, std::chrono::seconds value, Time now);

}  // namespace ward::store
