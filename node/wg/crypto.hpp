// WireGuard's cryptographic primitives (whitepaper section 5.4) on OpenSSL 3 EVP.
//
//   HASH   BLAKE2s-256                      MAC    keyed BLAKE2s-128 (BLAKE2SMAC, size 16)
//   HMAC   HMAC-BLAKE2s-256                 KDFn   HKDF-style chain of HMACs
//   AEAD   ChaCha20-Poly1305, nonce = 4 zero bytes || 64-bit little-endian counter
//   XAEAD  XChaCha20-Poly1305 = HChaCha20 subkey + ChaCha20-Poly1305
//   DH     X25519; an all-zero result (low-order point) is refused
//
// Contracts:
// - Algorithms are fetched once per process; every thread gets its own EVP contexts
//   (created on first use, reused for every later call), so these functions are
//   thread-safe and allocate nothing per call after a thread's first call. A thread's
//   AEAD context keeps the last key it was given, so consecutive messages under one key
//   only load the nonce; that copy is wiped when the thread exits.
//   If OpenSSL lacks an algorithm, the first call aborts: the engine cannot run at all.
// - Output spans must have exactly the documented size; in-place operation (out and
//   in the same buffer) is allowed for aead_*/xaead_*.
// - Secret outputs land in caller-owned storage; use SecretArray for keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "common/base/secret.hpp"

namespace ward::wg {

inline constexpr std::size_t kKeyLen = 32;
inline constexpr std::size_t kHashLen = 32;
inline constexpr std::size_t kMacLen = 16;
inline constexpr std::size_t kTagLen = 16;
inline constexpr std::size_t kXNonceLen = 24;
inline constexpr std::size_t kTimestampLen = 12;

// Fixed-size secret storage, wiped on destruction, on clear() and before being
// overwritten by assignment. No stream operator by design.
template <std::size_t N>
class SecretArray {
 public:
  SecretArray() = default;
  explicit SecretArray(std::span<const std::uint8_t, N> bytes) { assign(bytes); }
  SecretArray(const SecretArray& other) : b_(other.b_) {}
  SecretArray& operator=(const SecretArray& other) {
    if (this != &other) b_ = other.b_;
    return *this;
  }
  ~SecretArray() { clear(); }

  void assign(std::span<const std::uint8_t, N> bytes) {
    for (std::size_t i = 0; i < N; ++i)
      b_[i] = bytes[i];
  }
  void clear() { ward::secure_wipe(b_.data(), N); }
  bool is_zero() const {
    std::uint8_t acc = 0;
    for (auto v : b_)
      acc |= v;
    return acc == 0;
  }
  std::uint8_t* data() { return b_.data(); }
  const std::uint8_t* data() const { return b_.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<std::uint8_t, N> span() { return std::span<std::uint8_t, N>(b_); }
  std::span<const std::uint8_t, N> span() const { return std::span<const std::uint8_t, N>(b_); }

 private:
  std::array<std::uint8_t, N> b_{};
};

using Key = SecretArray<kKeyLen>;         // symmetric keys, chaining keys, DH results
using PrivateKey = SecretArray<kKeyLen>;  // X25519 private key
using PublicKey = std::array<std::uint8_t, kKeyLen>;
using Hash = std::array<std::uint8_t, kHashLen>;
using Mac = std::array<std::uint8_t, kMacLen>;
using Tai64n = std::array<std::uint8_t, kTimestampLen>;

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;

// out = BLAKE2s-256(parts[0] || parts[1] || ...).
void hash(std::span<std::uint8_t, kHashLen> out, std::initializer_list<Bytes> parts);

// out = keyed BLAKE2s with a 16-byte digest; key is 1..32 bytes.
void mac(std::span<std::uint8_t, kMacLen> out, Bytes key, Bytes message);

// out = HMAC-BLAKE2s-256(key, input).
void hmac(std::span<std::uint8_t, kHashLen> out, Bytes key, Bytes input);

// KDF_n(key, input) per the whitepaper: t0 = HMAC(key, input), t1 = HMAC(t0, 0x1),
// t_i = HMAC(t0, t_{i-1} || i). Outputs may alias key.
void kdf1(std::span<std::uint8_t, kKeyLen> t1, Bytes key, Bytes input);
void kdf2(std::span<std::uint8_t, kKeyLen> t1, std::span<std::uint8_t, kKeyLen> t2, Bytes key,
          Bytes input);
void kdf3(std::span<std::uint8_t, kKeyLen> t1, std::span<std::uint8_t, kKeyLen> t2,
          std::span<std::uint8_t, kKeyLen> t3, Bytes key, Bytes input);

// ChaCha20-Poly1305 with WireGuard's nonce (counter little-endian in the last 8 bytes).
// encrypt: out.size() == plaintext.size() + kTagLen. decrypt: out.size() ==
// ciphertext.size() - kTagLen; returns false (out contents unspecified) if the tag fails.
void aead_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key, std::uint64_t counter,
                  Bytes plaintext, Bytes ad);
[[nodiscard]] bool aead_decrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                                std::uint64_t counter, Bytes ciphertext, Bytes ad);

// aead_encrypt of (plaintext || `padding` zero bytes) without building that buffer:
// out.size() == plaintext.size() + padding + kTagLen; out must not overlap plaintext.
void aead_encrypt_padded(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                         std::uint64_t counter, Bytes plaintext, std::size_t padding);

// RFC 8439 ChaCha20-Poly1305 with an arbitrary 12-byte nonce (used by the KAT tests and
// by xaead).
void chacha20poly1305_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                              std::span<const std::uint8_t, 12> nonce, Bytes plaintext, Bytes ad);
[[nodiscard]] bool chacha20poly1305_decrypt(MutBytes out,
                                            std::span<const std::uint8_t, kKeyLen> key,
                                            std::span<const std::uint8_t, 12> nonce,
                                            Bytes ciphertext, Bytes ad);

// HChaCha20 (draft-irtf-cfrg-xchacha section 2.2).
void hchacha20(std::span<std::uint8_t, kKeyLen> out, std::span<const std::uint8_t, kKeyLen> key,
               std::span<const std::uint8_t, 16> nonce);

// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha section 2.3); sizes as for aead_*.
void xaead_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                   std::span<const std::uint8_t, kXNonceLen> nonce, Bytes plaintext, Bytes ad);
[[nodiscard]] bool xaead_decrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                                 std::span<const std::uint8_t, kXNonceLen> nonce, Bytes ciphertext,
                                 Bytes ad);

// X25519. Returns false, leaving out zeroed, if OpenSSL fails or the shared secret is all
// zero (the peer's point has low order): the caller must then abandon the handshake.
[[nodiscard]] bool x25519(std::span<std::uint8_t, kKeyLen> out,
                          std::span<const std::uint8_t, kKeyLen> private_key,
                          std::span<const std::uint8_t, kKeyLen> public_key);
// Public key for a private key. Returns false only if OpenSSL fails.
[[nodiscard]] bool x25519_public(PublicKey& out,
                                 std::span<const std::uint8_t, kKeyLen> private_key);
// A fresh clamped private key from the OpenSSL CSPRNG (like `wg genkey`).
PrivateKey generate_private_key();

// Cryptographically random bytes (RAND_bytes); aborts if the CSPRNG is unavailable.
void random_bytes(MutBytes out);

// TAI64N label of a wall-clock time in nanoseconds since the Unix epoch. Like the
// kernel, the nanoseconds are rounded down to a multiple of 2^24 ns (~16.8 ms) so the
// timestamp does not leak the precise clock.
Tai64n tai64n(std::int64_t unix_ns);

// Constant-time comparison of equal-size byte spans.
bool equal(Bytes a, Bytes b);

}  // namespace ward::wg
