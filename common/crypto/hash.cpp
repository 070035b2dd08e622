#include "common/crypto/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/crypto/ossl_ptr.hpp"

namespace ward::crypto {
namespace {

// Fetched once per process; fetching per call would take a global lock each time.
// Intentionally never freed (process-lifetime, still reachable).
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) detail::ossl_fatal("EVP_MD_fetch(SHA256)");
    return m;
  }();
  return md;
}

EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) detail::ossl_fatal("EVP_MAC_fetch(HMAC)");
    return m;
  }();
  return mac;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Sha256Digest sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) != 1 ||
      len != out.size()) {
    detail::ossl_fatal("EVP_Digest(SHA256)");
  }
  return out;
}

Sha256Digest sha256(std::string_view data) {
  return sha256(as_bytes(data));
}

struct Sha256::State {
  detail::EvpMdCtxPtr ctx{EVP_MD_CTX_new()};
  void init() {
    if (!ctx || EVP_DigestInit_ex2(ctx.get(), sha256_md(), nullptr) != 1) {
      detail::ossl_fatal("EVP_DigestInit_ex2(SHA256)");
    }
  }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->init();
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Sha256& Sha256::update(std::span<const std::uint8_t> data) {
  if (!state_) {  // moved-from: behave as a fresh hasher rather than crash
    state_ = std::make_unique<State>();
    state_->init();
  }
  if (EVP_DigestUpdate(state_->ctx.get(), data.data(), data.size()) != 1) {
    detail::ossl_fatal("EVP_DigestUpdate");
  }
  return *this;
}

Sha256& Sha256::update(std::string_view data) {
  return update(as_bytes(data));
}

Sha256Digest Sha256::finish() {
  if (!state_) return sha256(std::span<const std::uint8_t>());
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(state_->ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    detail::ossl_fatal("EVP_DigestFinal_ex");
  }
  state_->init();
  return out;
}

std::size_t digest_size(HashAlg alg) {
  return alg == HashAlg::kSha1 ? 20 : 32;
}

Result<std::vector<std::uint8_t>> hmac(HashAlg alg, std::span<const std::uint8_t> key,
                                       std::span<const std::uint8_t> data) {
  detail::clear_ossl_errors();
  detail::EvpMacCtxPtr ctx(EVP_MAC_CTX_new(hmac_mac()));
  char digest_name[8] = {};
  std::string_view name = alg == HashAlg::kSha1 ? "SHA1" : "SHA256";
  name.copy(digest_name, sizeof(digest_name) - 1);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  // OpenSSL refuses a NULL key pointer even with length 0; an empty key is valid HMAC.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  if (!ctx || EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "computing HMAC");
  }
  std::vector<std::uint8_t> out(digest_size(alg));
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    return detail::ossl_error(ErrorCode::kInternal, "finishing HMAC");
  }
  return out;
}

Result<std::vector<std::uint8_t>> hmac(HashAlg alg, std::span<const std::uint8_t> key,
                                       std::string_view data) {
  return hmac(alg, key, as_bytes(data));
}

}  // namespace ward::crypto
