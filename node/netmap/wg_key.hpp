// WgKey: a WireGuard public key as the node code uses it: an alias of
// ward::crypto::WgPublicKey (common/crypto/wg_key.hpp: 44-character base64 in JSON, 64 hex
// digits in the UAPI; a value type, ordered and hashable). Private keys travel as
// ward::SecretBytes; the helpers below decode them without ever echoing the input.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/crypto/wg_key.hpp"

namespace ward::node {

inline constexpr std::size_t kWgKeyLen = crypto::kWgKeySize;
using WgKey = crypto::WgPublicKey;

// Exactly 2*expected_len hex digits into a SecretBytes; the error never echoes the input
// (it may be a private key).
Result<SecretBytes> secret_from_hex(std::string_view text, std::size_t expected_len);
// Canonical base64 of exactly expected_len bytes into a SecretBytes, input never echoed.
Result<SecretBytes> secret_from_base64(std::string_view text, std::size_t expected_len);

}  // namespace ward::node
