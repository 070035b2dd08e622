#include "common/crypto/random.hpp"

#include <algorithm>

#include <climits>
#include <openssl/rand.h>

#include "common/crypto/encoding.hpp"
#include "common/crypto/ossl_ptr.hpp"

namespace ward::crypto {

Status random_bytes(std::span<std::uint8_t> out) {
  detail::clear_ossl_errors();
  // RAND_bytes takes an int length; large requests go in chunks.
  constexpr std::size_t kChunk = 1 << 20;
  while (!out.empty()) {
    std::size_t n = std::min(out.size(), kChunk);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      return detail::ossl_error(ErrorCode::kInternal, "the random number generator failed");
    }
    out = out.subspan(n);
  }
  return ok();
}

Result<SecretBytes> random_secret(std::size_t n) {
  SecretBytes secret(n);
  WARD_RETURN_IF_ERROR(random_bytes(secret.span()));
  return secret;
}

Result<std::string> random_token(std::size_t bytes) {
  if (bytes < 16 || bytes > 1024) {
    return Error::invalid_argument("random token of " + std::to_string(bytes) +
                                   " bytes requested, expected 16 to 1024");
  }
  WARD_ASSIGN_OR_RETURN(SecretBytes raw, random_secret(bytes));
  return base64url_encode(raw.span());
}

}  // namespace ward::crypto
