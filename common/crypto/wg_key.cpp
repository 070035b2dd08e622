#include "common/crypto/wg_key.hpp"

#include <utility>

#include <openssl/evp.h>

#include "common/crypto/encoding.hpp"
#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/random.hpp"

namespace ward::crypto {
namespace {

bool all_zero(std::span<const std::uint8_t> b) {
  std::uint8_t acc = 0;
  for (std::uint8_t x : b)
    acc |= x;
  return acc == 0;
}

}  // namespace

// ---- WgPublicKey ----------------------------------------------------------------------

Result<WgPublicKey> WgPublicKey::from_base64(std::string_view text) {
  WgKeyBytes bytes{};
  if (auto st = base64_decode_exact_secret(text, bytes); !st) {
    return Error::invalid_argument("WireGuard public key " + quote(text) +
                                   " is not 44 characters of base64 encoding 32 bytes");
  }
  return WgPublicKey(bytes);
}

Result<WgPublicKey> WgPublicKey::from_hex(std::string_view text) {
  auto bytes = hex_decode(text);
  if (!bytes || bytes->size() != kWgKeySize) {
    return Error::invalid_argument("WireGuard public key " + quote(text) + " is not 64 hex digits");
  }
  return from_bytes(*bytes);
}

Result<WgPublicKey> WgPublicKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kWgKeySize) {
    return Error::invalid_argument("WireGuard public key is " + std::to_string(bytes.size()) +
                                   " bytes, expected 32");
  }
  WgKeyBytes b{};
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return WgPublicKey(b);
}

std::string WgPublicKey::to_base64() const {
  return base64_encode(bytes_);
}
std::string WgPublicKey::to_hex() const {
  return hex_encode(bytes_);
}
bool WgPublicKey::is_zero() const {
  return all_zero(bytes_);
}

// ---- WgPrivateKey ---------------------------------------------------------------------

Result<WgPrivateKey> WgPrivateKey::generate() {
  WgKeyBytes bytes{};
  WARD_RETURN_IF_ERROR(random_bytes(bytes));
  bytes[0] &= 248;
  bytes[31] = static_cast<std::uint8_t>((bytes[31] & 127) | 64);
  auto key = from_bytes(bytes);
  secure_wipe(bytes.data(), bytes.size());
  return key;
}

Result<WgPrivateKey> WgPrivateKey::from_base64(std::string_view text) {
  WgKeyBytes bytes{};
  if (auto st = base64_decode_exact_secret(text, bytes); !st) {
    secure_wipe(bytes.data(), bytes.size());
    return Error::invalid_argument(
        "WireGuard private key is not 44 characters of base64 "
        "encoding 32 bytes (" +
        st.error().message() + ")");
  }
  auto key = from_bytes(bytes);
  secure_wipe(bytes.data(), bytes.size());
  return key;
}

Result<WgPrivateKey> WgPrivateKey::from_hex(std::string_view text) {
  auto bytes = hex_decode_secret(text);
  if (!bytes || bytes->size() != kWgKeySize) {
    return Error::invalid_argument("WireGuard private key is not 64 hex digits");
  }
  return from_bytes(bytes->span());
}

Result<WgPrivateKey> WgPrivateKey::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kWgKeySize) {
    return Error::invalid_argument("WireGuard private key is " + std::to_string(bytes.size()) +
                                   " bytes, expected 32");
  }
  if (all_zero(bytes)) return Error::invalid_argument("WireGuard private key is all zero");
  WgPrivateKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  detail::clear_ossl_errors();
  key.pkey_ =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, key.bytes_.data(), key.bytes_.size());
  WgKeyBytes pub{};
  std::size_t len = pub.size();
  if (key.pkey_ == nullptr || EVP_PKEY_get_raw_public_key(key.pkey_, pub.data(), &len) != 1 ||
      len != pub.size()) {
    return detail::ossl_error(ErrorCode::kInternal, "deriving the WireGuard public key");
  }
  key.public_ = WgPublicKey(pub);
  return key;
}

WgPrivateKey::WgPrivateKey(const WgPrivateKey& other)
    : bytes_(other.bytes_), public_(other.public_), pkey_(other.pkey_) {
  if (pkey_ != nullptr) EVP_PKEY_up_ref(pkey_);
}

WgPrivateKey& WgPrivateKey::operator=(const WgPrivateKey& other) {
  if (this != &other) {
    if (other.pkey_ != nullptr) EVP_PKEY_up_ref(other.pkey_);
    reset();
    bytes_ = other.bytes_;
    public_ = other.public_;
    pkey_ = other.pkey_;
  }
  return *this;
}

WgPrivateKey::WgPrivateKey(WgPrivateKey&& other) noexcept
    : bytes_(other.bytes_), public_(other.public_), pkey_(std::exchange(other.pkey_, nullptr)) {
  other.reset();
}

WgPrivateKey& WgPrivateKey::operator=(WgPrivateKey&& other) noexcept {
  if (this != &other) {
    reset();
    bytes_ = other.bytes_;
    public_ = other.public_;
    pkey_ = std::exchange(other.pkey_, nullptr);
    other.reset();
  }
  return *this;
}

WgPrivateKey::~WgPrivateKey() {
  reset();
}

void WgPrivateKey::reset() {
  secure_wipe(bytes_.data(), bytes_.size());
  public_ = WgPublicKey();
  EVP_PKEY_free(pkey_);  // cleanses OpenSSL's copy when the last reference goes
  pkey_ = nullptr;
}

SecretString WgPrivateKey::to_base64() const {
  return SecretString(base64_encode(bytes_));
}
SecretString WgPrivateKey::to_hex() const {
  return SecretString(hex_encode(bytes_));
}
SecretBytes WgPrivateKey::to_bytes() const {
  return SecretBytes(bytes_);
}

// ---- X25519 ---------------------------------------------------------------------------

Result<SecretBytes> x25519(const WgPrivateKey& private_key, const WgPublicKey& peer) {
  if (private_key.pkey_ == nullptr) return Error::internal("x25519 with an empty private key");
  detail::clear_ossl_errors();
  detail::EvpPkeyPtr peer_key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.bytes().data(), kWgKeySize));
  detail::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, private_key.pkey_, nullptr));
  if (!peer_key || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "x25519 setup");
  }
  const Error low_order =
      Error::invalid_argument("peer public key " + quote(peer.to_base64()) +
                              " is a low-order point (X25519 result would be all zero)");
  // OpenSSL itself refuses an all-zero result in derive; both paths report low order.
  if (EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key.get(), 0) != 1) {
    detail::clear_ossl_errors();
    return low_order;
  }
  SecretBytes shared(kWgKeySize);
  std::size_t len = shared.size();
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1) {
    detail::clear_ossl_errors();
    return low_order;
  }
  if (len != kWgKeySize) return Error::internal("x25519 produced a short secret");
  if (all_zero(shared.span())) return low_order;
  return shared;
}

}  // namespace ward::crypto
