// AES-256-GCM for secrets at rest (the CA key, TOTP seeds), on OpenSSL 3 EVP.
//
// seal() produces a self-describing blob:
//
//   version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
//
// The version byte and the caller's associated data are both authenticated, so the blob
// cannot be moved to another context (e.g. a TOTP seed to another user) when the caller
// binds it with associated data such as "totp:<user id>". open() returns kCorruption for
// any change to the blob, a wrong key, a wrong associated data, a truncated blob or an
// unknown version; it never returns unauthenticated plaintext.
//
// Nonces are random, so one key may seal up to 2^32 blobs (NIST SP 800-38D §8.3); Ward's
// secrets at rest are far fewer. Plaintext is limited to 1 GiB. Keys are 32 bytes
// (random_secret(32), or derived from the master key); other sizes are kInvalidArgument.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::crypto {

inline constexpr std::uint8_t kSealVersion = 0x01;
inline constexpr std::size_t kAeadKeySize = 32;
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;
// Bytes seal() adds to the plaintext: version + nonce + tag.
inline constexpr std::size_t kSealOverhead = 1 + kGcmNonceSize + kGcmTagSize;

// Encrypts plaintext under key32; the blob is binary (encode it for text storage).
Result<std::string> seal(const SecretBytes& key32, std::string_view plaintext,
                         std::string_view associated_data);

// Authenticates and decrypts a seal() blob. The plaintext is returned in a SecretBytes.
Result<SecretBytes> open(const SecretBytes& key32, std::string_view blob,
                         std::string_view associated_data);

// The raw primitive, for known-answer tests and formats that manage their own nonces.
// The caller guarantees a nonce is never reused under one key (reuse destroys both
// confidentiality and authenticity); prefer seal()/open(). Returns ciphertext || tag.
Result<std::string> aes_256_gcm_encrypt(const SecretBytes& key32,
                                        std::span<const std::uint8_t, kGcmNonceSize> nonce,
                                        std::string_view plaintext, std::string_view aad);
// Inverse of aes_256_gcm_encrypt; kCorruption if the tag does not verify.
Result<SecretBytes> aes_256_gcm_decrypt(const SecretBytes& key32,
                                        std::span<const std::uint8_t, kGcmNonceSize> nonce,
                                        std::string_view ciphertext_and_tag, std::string_view aad);

}  // namespace ward::crypto
