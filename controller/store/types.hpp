// Records the controller stores, and the enums they carry.
//
// Plain values: no behaviour beyond name/parse helpers, safe to copy between threads.
// Times are Unix milliseconds (UTC) as ward::store::Time. Secret material never appears
// here in the clear: passwords are argon2id encoded hashes, TOTP secrets are AEAD-sealed
// by the caller with the master key, enrollment keys and session tokens are SHA-256
// hashes (32 bytes).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"

namespace ward::store {

using Time = std::chrono::sys_time<std::chrono::milliseconds>;
using Bytes = std::vector<std::uint8_t>;

// Converts any system_clock time point to Time (truncating to milliseconds).
template <class Duration>
Time to_time(std::chrono::sys_time<Duration> t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(t);
}
inline Time time_from_ms(std::int64_t ms) {
  return Time(std::chrono::milliseconds(ms));
}
inline std::int64_t time_to_ms(Time t) {
  return t.time_since_epoch().count();
}

enum class Role { kOwner, kAdmin, kAuditor, kMember };
std::string_view role_name(Role role);           // "owner", "admin", ...
Result<Role> parse_role(std::string_view name);  // invalid_argument on anything else

enum class DeviceStatus { kPending, kActive, kQuarantined, kRevoked, kExpired };
std::string_view device_status_name(DeviceStatus status);
Result<DeviceStatus> parse_device_status(std::string_view name);

struct User {
  std::int64_t id = 0;
  std::string email;  // unique, compared case-insensitively (ASCII folding)
  std::string display_name;
  Role role = Role::kMember;
  std::vector<std::string> groups;
  std::string password_hash;                   // argon2id encoded string; empty: no password login
  Bytes totp_secret_sealed;                    // AEAD-sealed TOTP seed; empty: MFA not enrolled
  std::optional<std::int64_t> totp_last_step;  // last accepted TOTP time step
  bool disabled = false;
  Time created_at{};
};

struct Device {
  std::int64_t id = 0;
  std::string name;                     // unique, case-insensitive (a DNS label)
  std::optional<std::int64_t> user_id;  // owner; a device has an owner, tags, or both
  std::vector<std::string> tags;
  std::string wg_public_key;  // base64 WireGuard key, unique
  std::string overlay_v4;     // e.g. "100.64.0.7"; never reused once handed out
  std::string overlay_v6;     // e.g. "fd00:1:2::7"
  DeviceStatus status = DeviceStatus::kPending;
  std::string cert_serial;  // hex; empty until a certificate is issued
  std::optional<Time> cert_not_after;
  Time created_at{};
  std::optional<Time> last_seen;
  std::string posture_json = "{}";  // JSON object of reported posture facts
  std::string os;
  std::string hostname;
  std::string endpoints_json = "[]";  // JSON array of "ip:port" strings
};

struct EnrollmentKey {
  std::int64_t id = 0;
  Bytes key_hash;  // SHA-256 of the key text; the key itself is never stored
  std::string description;
  bool reusable = false;
  std::optional<std::int64_t> max_uses;  // single-use keys: 1; reusable: limit or none
  std::int64_t uses = 0;
  Time expires_at{};
  std::vector<std::string> tags;  // tags the enrolled device gets
  bool preapproved = false;       // device starts active rather than pending
  bool revoked = false;
  std::optional<std::int64_t> created_by;  // user id
  Time created_at{};
  std::optional<Time> last_used_at;
};

struct Session {
  std::int64_t id = 0;
  Bytes token_hash;  // SHA-256 of the bearer token
  std::int64_t user_id = 0;
  Time created_at{};
  Time expires_at{};    // absolute expiry
  Time last_used_at{};  // for the idle timeout
  bool revoked = false;
  std::string source;  // address the session was created from
};

// Consecutive failed logins for one key ("user:<email>" or "src:<address>").
struct LoginFailures {
  std::string key;
  std::int64_t failures = 0;
  Time first_failure_at{};
  Time last_failure_at{};
  std::optional<Time> locked_until;
};

struct PolicyVersion {
  std::int64_t version = 0;  // 1, 2, ... assigned by the store
  std::string text;
  Bytes sha256;
  std::string author;
  Time created_at{};
};

// One audit log row as stored. The audit library owns its meaning (canonical form,
// hash chain); the store only keeps and returns it. `position` is the physical insertion
// order, which verification compares against `seq` to detect reordering.
struct AuditRow {
  std::int64_t position = 0;  // assigned by the store on insert
  std::int64_t seq = 0;
  Time time{};
  std::string actor_kind;
  std::string actor_id;
  std::string actor_name;
  std::string source;
  std::string action;
  std::string target;
  std::string outcome;
  std::string details_json;
  Bytes entry_hash;
};

struct AuditCheckpoint {
  std::int64_t seq = 0;
  Bytes entry_hash;
  Time time{};
  Bytes signature;
};

}  // namespace ward::store
