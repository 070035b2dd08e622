// TOTP (RFC 6238) over HOTP (RFC 4226): HMAC-SHA-1, 6 digits, 30-second steps, accepting
// the previous, current and next step for clock skew.
//
// Replay: verify_totp() refuses any step at or before last_used_step and returns the
// step it accepted; the caller stores it in the same transaction that completes the
// login (store::Tx::advance_totp_step, a compare-and-set), so one code logs in once.
//
// Secrets are 20 random bytes (RFC 4226 §4 recommends 160 bits) kept in SecretBytes
// and sealed at rest by the caller. Codes are compared in constant time and all window
// steps are always computed, so timing reveals neither which step matched nor where a
// wrong code differs. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::identity {

inline constexpr int kTotpDigits = 6;
inline constexpr std::int64_t kTotpPeriodSeconds = 30;
inline constexpr std::size_t kTotpSecretBytes = 20;
inline constexpr int kTotpWindow = 1;  // steps accepted on either side of now

// Milliseconds since the epoch (store::Time); system_clock's nanosecond time_point
// would overflow before RFC 6238's year-2603 test vector.
using SysTime = std::chrono::sys_time<std::chrono::milliseconds>;

// RFC 4648 base32, upper-case, no padding (the form authenticator apps expect).
std::string base32_encode(std::span<const std::uint8_t> bytes);
// Accepts upper or lower case and optional trailing '=' padding; nothing else. Never
// quotes the input (it is usually a secret).
Result<SecretBytes> base32_decode(std::string_view text);

// A fresh random TOTP secret (kTotpSecretBytes).
Result<SecretBytes> generate_totp_secret();

// floor(unix seconds / 30) at now.
std::int64_t totp_step(SysTime now);

// HOTP value for counter `step`, truncated to `digits` (6..8) decimal digits.
Result<std::uint32_t> hotp(const SecretBytes& secret, std::int64_t step, int digits = kTotpDigits);
// The same, zero-padded to `digits` characters.
Result<SecretString> hotp_code(const SecretBytes& secret, std::int64_t step,
                               int digits = kTotpDigits);

// Checks a user-entered code against steps now-1, now, now+1. Returns the accepted step.
// Unauthenticated "invalid TOTP code" for a malformed or wrong code, "TOTP code already
// used" when the only match is at or before last_used_step.
Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code, SysTime now,
                                 std::optional<std::int64_t> last_used_step);

// The provisioning URI an authenticator app scans:
//   otpauth://totp/Ward:alice@example.org?secret=BASE32&issuer=Ward&algorithm=SHA1&digits=6&period=30
// The label and issuer are percent-encoded. Contains the secret, hence a SecretString.
SecretString otpauth_uri(std::string_view issuer, std::string_view account,
                         const SecretBytes& secret);

}  // namespace ward::identity
