#include "common/crypto/signing_key.hpp"

#include <string>
#include <utility>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/pkey_util.hpp"

namespace ward::crypto {

namespace detail {

Result<KeyType> classify_key(const EVP_PKEY* pkey) {
  if (pkey == nullptr) return Error::invalid_argument("no key");
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::kEd25519;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) == 1) {
      std::string_view g(group, len);
      if (g == "prime256v1" || g == "P-256" || g == "secp256r1") return KeyType::kEcdsaP256;
      clear_ossl_errors();
      return Error::invalid_argument("unsupported EC curve " + quote(g) +
                                     ", expected P-256 (prime256v1)");
    }
    clear_ossl_errors();
    return Error::invalid_argument("EC key without a named curve, expected P-256");
  }
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return Error::invalid_argument("unsupported key algorithm " +
                                 quote(name != nullptr ? name : "unknown") +
                                 ", expected Ed25519 or ECDSA P-256");
}

const char* digest_name(KeyType type) {
  return type == KeyType::kEcdsaP256 ? "SHA256" : nullptr;
}

const EVP_MD* x509_sign_md(KeyType type) {
  return type == KeyType::kEcdsaP256 ? EVP_sha256() : nullptr;
}

std::string public_key_pem(const EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) ossl_fatal("PEM_write_bio_PUBKEY");
  return bio_to_string(bio.get());
}

Result<EvpPkeyPtr> parse_public_key_pem(std::string_view pem) {
  if (pem.size() > kMaxEncodedObjectBytes) {
    return Error::invalid_argument("public key PEM is " + std::to_string(pem.size()) +
                                   " bytes, more than the 64 KiB limit");
  }
  clear_ossl_errors();
  BioPtr bio = read_bio(pem);
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!pkey) {
    return ossl_error(ErrorCode::kInvalidArgument,
                      "malformed public key: expected a \"BEGIN PUBLIC KEY\" PEM block");
  }
  WARD_RETURN_IF_ERROR(classify_key(pkey.get()));
  return pkey;
}

}  // namespace detail

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kEcdsaP256:
      return "ecdsa-p256";
  }
  return "unknown";
}

Result<SigningKey> SigningKey::adopt(EVP_PKEY* owned) {
  detail::EvpPkeyPtr holder(owned);
  WARD_ASSIGN_OR_RETURN(KeyType type, detail::classify_key(owned));
  return SigningKey(holder.release(), type);
}

Result<SigningKey> SigningKey::generate(KeyType type) {
  detail::clear_ossl_errors();
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kEcdsaP256:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
  }
  if (pkey == nullptr) return detail::ossl_error(ErrorCode::kInternal, "generating a signing key");
  return adopt(pkey);
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
  if (pem.size() > detail::kMaxEncodedObjectBytes) {
    return Error::invalid_argument("private key PEM is " + std::to_string(pem.size()) +
                                   " bytes, more than the 64 KiB limit");
  }
  detail::clear_ossl_errors();
  detail::BioPtr bio = detail::read_bio(pem);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, detail::refuse_passphrase, nullptr);
  if (pkey == nullptr) {
    return detail::ossl_error(ErrorCode::kInvalidArgument,
                              "malformed private key: expected an unencrypted "
                              "\"BEGIN PRIVATE KEY\" PEM block");
  }
  return adopt(pkey);
}

SigningKey::SigningKey(const SigningKey& other) : pkey_(other.pkey_), type_(other.type_) {
  if (pkey_ != nullptr) EVP_PKEY_up_ref(pkey_);
}

SigningKey& SigningKey::operator=(const SigningKey& other) {
  if (this != &other) {
    if (other.pkey_ != nullptr) EVP_PKEY_up_ref(other.pkey_);
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    type_ = other.type_;
  }
  return *this;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : pkey_(std::exchange(other.pkey_, nullptr)), type_(other.type_) {}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = std::exchange(other.pkey_, nullptr);
    type_ = other.type_;
  }
  return *this;
}

SigningKey::~SigningKey() {
  EVP_PKEY_free(pkey_);
}

SecretString SigningKey::to_pem() const {
  // A secure-heap memory BIO: OpenSSL cleanses its buffer when the BIO is freed.
  detail::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    detail::ossl_fatal("PEM_write_bio_PrivateKey");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  if (n <= 0 || data == nullptr) detail::ossl_fatal("BIO_get_mem_data");
  return SecretString(std::string(data, static_cast<std::size_t>(n)));
}

std::string SigningKey::public_key_pem() const {
  return detail::public_key_pem(pkey_);
}

Result<std::string> SigningKey::sign(std::string_view msg) const {
  detail::clear_ossl_errors();
  detail::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, detail::digest_name(type_), nullptr,
                                    nullptr, pkey_, nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "initialising signature");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(msg.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, msg.size()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "sizing signature");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     msg.size()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "signing");
  }
  sig.resize(len);
  return sig;
}

Status verify_signature(std::string_view public_key_pem, std::string_view msg,
                        std::string_view sig) {
  WARD_ASSIGN_OR_RETURN(detail::EvpPkeyPtr pkey, detail::parse_public_key_pem(public_key_pem));
  WARD_ASSIGN_OR_RETURN(KeyType type, detail::classify_key(pkey.get()));
  detail::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, detail::digest_name(type), nullptr,
                                      nullptr, pkey.get(), nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "initialising signature verification");
  }
  int rc =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  detail::clear_ossl_errors();
  if (rc != 1) {
    return Error::unauthenticated(std::string(key_type_name(type)) +
                                  " signature does not verify with the given public key");
  }
  return ok();
}

}  // namespace ward::crypto
