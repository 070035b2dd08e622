// Text encodings for binary data: base64 (RFC 4648 §4, with padding, the form `wg` uses
// for keys), base64url (RFC 4648 §5, no padding, for tokens), and lowercase hex.
//
// Encoding and decoding run in time independent of the byte values (no table lookups
// indexed by data), so they are safe on keys. Decoding is strict and canonical: exactly
// one text decodes to a given byte string. Refused: characters outside the alphabet
// (including whitespace and line breaks), wrong length, misplaced or missing padding
// (base64), any padding (base64url), non-zero unused bits in the last character,
// odd-length hex. Upper- and lowercase hex digits are both accepted.
//
// Errors are kInvalidArgument. The plain decoders quote (a truncated prefix of) the bad
// input; the *_secret decoders, for key material, never quote it and only say what was
// wrong, and their output is wiped on destruction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::crypto {

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);
Result<SecretBytes> base64_decode_secret(std::string_view text);

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);
Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text);
Result<SecretBytes> base64url_decode_secret(std::string_view text);

std::string hex_encode(std::span<const std::uint8_t> bytes);
std::string hex_encode(std::string_view bytes);
Result<std::vector<std::uint8_t>> hex_decode(std::string_view text);
Result<SecretBytes> hex_decode_secret(std::string_view text);

// Base64 of exactly out.size() bytes decoded straight into `out` (e.g. a fixed-size key
// buffer), without quoting the input: for fixed-length secrets such as WireGuard keys.
// A text decoding to any other length is refused.
Status base64_decode_exact_secret(std::string_view text, std::span<std::uint8_t> out);

}  // namespace ward::crypto
