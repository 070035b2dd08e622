// Bearer secrets the controller hands out: enrollment keys ("wek_..."), session tokens
// ("wst_...") and the one-time bootstrap token ("wbt_...").
//
// Format: a 4-character kind prefix, then 32 random bytes as unpadded base64url (43
// characters): 47 characters, 256 bits of entropy. The prefix makes a leaked secret
// recognisable to secret scanners and to humans, and lets the controller reject a token
// of the wrong kind before any lookup.
//
// Only SHA-256(token) is stored (token_hash). With 256-bit random tokens a fast hash is
// enough: there is nothing to brute-force. Parsing never quotes the token in errors.
#pragma once

#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "controller/store/types.hpp"

namespace ward::identity {

enum class TokenKind { kEnrollmentKey, kSession, kBootstrap };

// "wek_", "wst_", "wbt_".
std::string_view token_prefix(TokenKind kind);

inline constexpr std::size_t kTokenRandomBytes = 32;
inline constexpr std::size_t kTokenLength = 4 + 43;

// A fresh token of the given kind.
Result<SecretString> generate_token(TokenKind kind);

// Unauthenticated ("malformed <kind>") unless text has the kind's prefix, the exact
// length, and only base64url characters. Cheap; use before hashing and looking up.
Status check_token_format(TokenKind kind, std::string_view text);

// SHA-256 of the whole token text (prefix included), as stored.
store::Bytes token_hash(std::string_view token);

// Constant-time: does token hash to stored_hash?
bool token_matches(std::string_view token, const store::Bytes& stored_hash);

}  // namespace ward::identity
