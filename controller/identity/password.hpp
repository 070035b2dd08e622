// Password hashing with argon2id (RFC 9106) through libargon2, in its standard encoded
// form "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>" (self-describing, so parameters
// can be raised later and old hashes still verify; needs_rehash() says when to upgrade).
//
// Default parameters: m = 64 MiB, t = 3, p = 1. RFC 9106 §4 recommends t=3 with 64 MiB
// for memory-constrained uses; OWASP's floor is 19 MiB/t=2. p=1 because the controller
// serves logins on a small machine and parallel lanes would only let one login take
// every core. One hash costs ~0.2 s and 64 MiB here, so concurrent logins are bounded by
// the caller (rate limiter + a small worker pool).
//
// Passwords enter only as SecretString and are never copied outside secret containers.
// Verification is argon2's own (constant-time tag comparison). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::identity {

inline constexpr std::size_t kMinPasswordLength = 12;    // bytes (NIST SP 800-63B asks >= 8)
inline constexpr std::size_t kMaxPasswordLength = 1024;  // bounds hashing work per request

struct PasswordParams {
  std::uint32_t t_cost = 3;
  std::uint32_t m_cost_kib = 64 * 1024;
  std::uint32_t parallelism = 1;
  std::uint32_t salt_len = 16;
  std::uint32_t hash_len = 32;
};

// InvalidArgument if the password is shorter than kMinPasswordLength or longer than
// kMaxPasswordLength bytes, or contains a NUL or other control character. The message
// never contains the password.
Status check_password_policy(const SecretString& password);

// A fresh random salt and the encoded argon2id hash. Applies check_password_policy().
Result<std::string> hash_password(const SecretString& password, const PasswordParams& params = {});

// ok() if password matches encoded; Unauthenticated if not; InvalidArgument if encoded
// is not an argon2id hash this code accepts (including parameters beyond 1 GiB / t=16,
// so a tampered row cannot make a login burn unbounded memory).
Status verify_password(const SecretString& password, std::string_view encoded);

// Runs one verification against a fixed dummy hash and discards the result, so a login
// for an unknown or password-less user takes as long as one for a real user.
void verify_password_dummy(const SecretString& password);

// True if encoded was made with weaker parameters than params (or cannot be parsed).
bool needs_rehash(std::string_view encoded, const PasswordParams& params = {});

}  // namespace ward::identity
