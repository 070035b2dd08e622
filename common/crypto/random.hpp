// Cryptographically secure randomness from OpenSSL's DRBG (seeded from the kernel).
//
// Use these, never <random>, for keys, nonces, serials, tokens and enrollment keys.
// Thread-safe. Failure means the system RNG is unusable; callers must fail closed
// (never fall back to a weaker source).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::crypto {

// Fills `out` with random bytes. kInternal if the DRBG fails.
Status random_bytes(std::span<std::uint8_t> out);

// n random bytes in a SecretBytes (wiped on destruction). n may be 0.
Result<SecretBytes> random_secret(std::size_t n);

// A printable token carrying `bytes` random bytes (>= 16, <= 1024, else
// kInvalidArgument), encoded as base64url without padding: 43 characters for 32 bytes.
// Safe in URLs, headers, file names and command lines. Returned as std::string because
// it is usually shown once to an operator; store only its hash (hash.hpp).
Result<std::string> random_token(std::size_t bytes);

}  // namespace ward::crypto
