#include "common/crypto/aead.hpp"

#include <climits>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/random.hpp"

namespace ward::crypto {
namespace {

constexpr std::size_t kMaxPlaintext = std::size_t{1} << 30;

const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) detail::ossl_fatal("EVP_CIPHER_fetch(AES-256-GCM)");
    return c;
  }();
  return cipher;
}

const unsigned char* uc(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status check_key(const SecretBytes& key) {
  if (key.size() != kAeadKeySize) {
    return Error::invalid_argument("AES-256-GCM key is " + std::to_string(key.size()) +
                                   " bytes, expected 32");
  }
  return ok();
}

// The AAD pieces are fed in order; GCM authenticates their concatenation.
Status add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad, bool encrypt) {
  if (aad.empty()) return ok();
  if (aad.size() > INT_MAX) return Error::invalid_argument("associated data over 2 GiB");
  int outl = 0;
  int rc = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &outl, uc(aad), static_cast<int>(aad.size()))
                   : EVP_DecryptUpdate(ctx, nullptr, &outl, uc(aad), static_cast<int>(aad.size()));
  if (rc != 1) return detail::ossl_error(ErrorCode::kInternal, "AES-GCM associated data");
  return ok();
}

Result<std::string> encrypt(const SecretBytes& key, const std::uint8_t* nonce,
                            std::string_view aad1, std::string_view aad2,
                            std::string_view plaintext, std::string prefix) {
  WARD_RETURN_IF_ERROR(check_key(key));
  if (plaintext.size() > kMaxPlaintext) {
    return Error::invalid_argument("plaintext of " + std::to_string(plaintext.size()) +
                                   " bytes exceeds the 1 GiB limit");
  }
  detail::clear_ossl_errors();
  detail::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), key.data(), nonce, nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM encrypt init");
  }
  WARD_RETURN_IF_ERROR(add_aad(ctx.get(), aad1, true));
  WARD_RETURN_IF_ERROR(add_aad(ctx.get(), aad2, true));
  std::string out = std::move(prefix);
  const std::size_t ct_at = out.size();
  out.resize(ct_at + plaintext.size() + kGcmTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + ct_at;
  int len = 0;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), ct, &len, uc(plaintext),
                                              static_cast<int>(plaintext.size())) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM encrypt");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) != 1 ||
      static_cast<std::size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, ct + plaintext.size()) !=
          1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM encrypt final");
  }
  return out;
}

Result<SecretBytes> decrypt(const SecretBytes& key, const std::uint8_t* nonce,
                            std::string_view aad1, std::string_view aad2,
                            std::string_view ct_and_tag) {
  WARD_RETURN_IF_ERROR(check_key(key));
  if (ct_and_tag.size() < kGcmTagSize) {
    return Error::corruption("AES-GCM ciphertext of " + std::to_string(ct_and_tag.size()) +
                             " bytes is shorter than its 16-byte tag");
  }
  const std::size_t ct_len = ct_and_tag.size() - kGcmTagSize;
  if (ct_len > kMaxPlaintext) return Error::corruption("AES-GCM ciphertext over 1 GiB");
  std::array<unsigned char, kGcmTagSize> tag{};
  ct_and_tag.copy(reinterpret_cast<char*>(tag.data()), kGcmTagSize, ct_len);

  detail::clear_ossl_errors();
  detail::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), key.data(), nonce, nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM decrypt init");
  }
  WARD_RETURN_IF_ERROR(add_aad(ctx.get(), aad1, false));
  WARD_RETURN_IF_ERROR(add_aad(ctx.get(), aad2, false));
  SecretBytes plain(ct_len);
  int len = 0;
  if (ct_len > 0 && EVP_DecryptUpdate(ctx.get(), plain.data(), &len, uc(ct_and_tag),
                                      static_cast<int>(ct_len)) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM decrypt");
  }
  int final_len = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "AES-GCM set tag");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &final_len) != 1) {
    detail::clear_ossl_errors();
    // `plain` holds unauthenticated plaintext; its destructor wipes it.
    return Error::corruption(
        "AES-GCM authentication failed: wrong key or associated data, or the data was altered");
  }
  return plain;
}

}  // namespace

Result<std::string> seal(const SecretBytes& key32, std::string_view plaintext,
                         std::string_view associated_data) {
  WARD_RETURN_IF_ERROR(check_key(key32));
  std::array<std::uint8_t, kGcmNonceSize> nonce{};
  WARD_RETURN_IF_ERROR(random_bytes(nonce));
  std::string header;
  header.reserve(kSealOverhead + plaintext.size());
  header += static_cast<char>(kSealVersion);
  header.append(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  const std::string version(1, static_cast<char>(kSealVersion));
  return encrypt(key32, nonce.data(), version, associated_data, plaintext, std::move(header));
}

Result<SecretBytes> open(const SecretBytes& key32, std::string_view blob,
                         std::string_view associated_data) {
  WARD_RETURN_IF_ERROR(check_key(key32));
  if (blob.size() < kSealOverhead) {
    return Error::corruption("sealed blob of " + std::to_string(blob.size()) +
                             " bytes is shorter than the " + std::to_string(kSealOverhead) +
                             "-byte minimum");
  }
  if (static_cast<std::uint8_t>(blob[0]) != kSealVersion) {
    return Error::corruption("sealed blob has unknown version " +
                             std::to_string(static_cast<std::uint8_t>(blob[0])) + ", expected 1");
  }
  const auto* nonce = reinterpret_cast<const std::uint8_t*>(blob.data() + 1);
  return decrypt(key32, nonce, blob.substr(0, 1), associated_data, blob.substr(1 + kGcmNonceSize));
}

Result<std::string> aes_256_gcm_encrypt(const SecretBytes& key32,
                                        std::span<const std::uint8_t, kGcmNonceSize> nonce,
                                        std::string_view plaintext, std::string_view aad) {
  return encrypt(key32, nonce.data(), aad, {}, plaintext, {});
}

Result<SecretBytes> aes_256_gcm_decrypt(const SecretBytes& key32,
                                        std::span<const std::uint8_t, kGcmNonceSize> nonce,
                                        std::string_view ciphertext_and_tag, std::string_view aad) {
  return decrypt(key32, nonce.data(), aad, {}, ciphertext_and_tag);
}

}  // namespace ward::crypto
