#include "node/netmap/wg_key.hpp"

#include "common/crypto/encoding.hpp"

namespace ward::node {

// Both decoders go through common/crypto's constant-time decoders (key material must not
// steer branches) and add only the length the caller expects; neither echoes the input.

Result<SecretBytes> secret_from_hex(std::string_view text, std::size_t expected_len) {
  if (text.size() == expected_len * 2) {
    auto decoded = crypto::hex_decode_secret(text);
    if (decoded) return decoded;
  }
  return Error::invalid_argument("expected " + std::to_string(expected_len * 2) +
                                 " hex digits (secret not shown), got " +
                                 std::to_string(text.size()) + " characters");
}

Result<SecretBytes> secret_from_base64(std::string_view text, std::size_t expected_len) {
  SecretBytes out(expected_len);
  if (!crypto::base64_decode_exact_secret(text, out.span())) {
    return Error::invalid_argument("expected " + std::to_string(expected_len) +
                                   " bytes of canonical base64 (secret not shown), got " +
                                   std::to_string(text.size()) + " characters");
  }
  return out;
}

}  // namespace ward::node
