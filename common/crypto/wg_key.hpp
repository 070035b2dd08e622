// WireGuard (Curve25519 / X25519) keys, bit-compatible with wireguard-tools.
//
// Text forms are exactly those of `wg genkey` / `wg pubkey` / wg config files: standard
// base64 with padding, 44 characters for 32 bytes. The UAPI protocol uses lowercase hex,
// also provided. generate() clamps as `wg genkey` does (k[0] &= 248; k[31] &= 127;
// k[31] |= 64); keys read from text are kept byte-for-byte as given (so they round-trip),
// and X25519 clamps internally, as wg does.
//
// WgPrivateKey wipes its bytes on destruction and on assignment over it (copies too);
// it has no operator<< and leaves its box only as SecretString / SecretBytes. Its public
// key is computed once at construction. A moved-from WgPrivateKey is all-zero and must
// not be used except to destroy or assign to it. Both classes are immutable after
// construction and safe to read from several threads.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::crypto {

inline constexpr std::size_t kWgKeySize = 32;
using WgKeyBytes = std::array<std::uint8_t, kWgKeySize>;

// A public key: a plain value (copy, compare, order, hash). The default value is the
// all-zero key, which WireGuard treats as "no key"; is_zero() tells.
class WgPublicKey {
 public:
  WgPublicKey() = default;
  explicit WgPublicKey(const WgKeyBytes& bytes) : bytes_(bytes) {}

  // 44-char base64 as `wg pubkey` prints; errors quote the (public) input.
  static Result<WgPublicKey> from_base64(std::string_view text);
  // 64 hex digits as the UAPI protocol uses.
  static Result<WgPublicKey> from_hex(std::string_view text);
  // Exactly 32 bytes.
  static Result<WgPublicKey> from_bytes(std::span<const std::uint8_t> bytes);

  std::string to_base64() const;
  std::string to_hex() const;
  const WgKeyBytes& bytes() const { return bytes_; }
  bool is_zero() const;

  friend auto operator<=>(const WgPublicKey&, const WgPublicKey&) = default;

 private:
  WgKeyBytes bytes_{};
};

class WgPrivateKey {
 public:
  // A fresh, clamped key from the CSPRNG (as `wg genkey`).
  static Result<WgPrivateKey> generate();
  // 44-char base64 as `wg genkey` prints. Errors never quote the input. The all-zero
  // key is refused (WireGuard reads it as "no key").
  static Result<WgPrivateKey> from_base64(std::string_view text);
  // 64 hex digits (UAPI form). Same rules as from_base64.
  static Result<WgPrivateKey> from_hex(std::string_view text);
  // Exactly 32 bytes.
  static Result<WgPrivateKey> from_bytes(std::span<const std::uint8_t> bytes);

  WgPrivateKey(const WgPrivateKey& other);
  WgPrivateKey& operator=(const WgPrivateKey& other);
  WgPrivateKey(WgPrivateKey&& other) noexcept;
  WgPrivateKey& operator=(WgPrivateKey&& other) noexcept;
  ~WgPrivateKey();

  // Base64 as a wg config file's PrivateKey = line.
  SecretString to_base64() const;
  // Lowercase hex as UAPI's private_key= line.
  SecretString to_hex() const;
  // The raw 32 bytes (e.g. for a netlink attribute).
  SecretBytes to_bytes() const;

  const WgPublicKey& public_key() const { return public_; }

 private:
  friend Result<SecretBytes> x25519(const WgPrivateKey&, const WgPublicKey&);
  WgPrivateKey() = default;
  void reset();

  WgKeyBytes bytes_{};
  WgPublicKey public_;
  EVP_PKEY* pkey_ = nullptr;  // OpenSSL's X25519 key for bytes_; shared by copies
};

// X25519(private, peer) (RFC 7748), the Diffie-Hellman step of the Noise handshake.
// Refuses (kInvalidArgument) a peer key that yields the all-zero secret (a low-order
// point), as RFC 7748 §6.1 and WireGuard require.
Result<SecretBytes> x25519(const WgPrivateKey& private_key, const WgPublicKey& peer);

}  // namespace ward::crypto

template <>
struct std::hash<ward::crypto::WgPublicKey> {
  std::size_t operator()(const ward::crypto::WgPublicKey& k) const noexcept {
    // Public keys are uniformly random; their first bytes are already a good hash.
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(h); ++i)
      h = (h << 8) | k.bytes()[i];
    return h;
  }
};
