// SHA-256 and HMAC (SHA-1, SHA-256) on OpenSSL 3 EVP (EVP_MD / EVP_MAC "HMAC").
//
// SHA-1 exists only as HMAC-SHA1 for RFC 6238 TOTP, whose authenticator apps default to
// it; do not use it for anything else. Hash outputs are not secret by themselves; an
// HMAC key is, so pass it as a span over a SecretBytes (.span()).
//
// sha256() and Sha256 cannot fail on valid input; an OpenSSL failure there can only be
// memory exhaustion and aborts the process (as std::bad_alloc would). Thread-safe:
// free functions may run concurrently; one Sha256 object is not shared between threads
// without a lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"

namespace ward::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);

// Incremental SHA-256 for data that arrives in pieces (an audit chain, a file).
// update() any number of times, then finish(), which returns the digest and resets the
// object to hash a new message. Movable, not copyable.
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  Sha256& update(std::span<const std::uint8_t> data);
  Sha256& update(std::string_view data);
  Sha256Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class HashAlg { kSha1, kSha256 };

// Output size in bytes: 20 for kSha1, 32 for kSha256.
std::size_t digest_size(HashAlg alg);

// HMAC (RFC 2104) of data under key; the result has digest_size(alg) bytes. Any key
// length works, including empty. kInternal only if OpenSSL fails.
// Compare MACs with ward::ct_equal, never ==.
Result<std::vector<std::uint8_t>> hmac(HashAlg alg, std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data);
Result<std::vector<std::uint8_t>> hmac(HashAlg alg, std::span<const std::uint8_t> key,
                                       std::string_view data);

}  // namespace ward::crypto
