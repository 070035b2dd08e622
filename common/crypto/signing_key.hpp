// Signing keys for Ward's PKI: the controller's device CA key, each device's TLS key.
//
// Two algorithms only, Ed25519 and ECDSA over P-256; anything else (RSA, other curves) is
// refused wherever a key enters (from_pem, verify_signature, CSRs in x509.hpp), so the
// rest of Ward never meets an algorithm it did not choose.
//
// Ownership and secrecy: a SigningKey owns an OpenSSL EVP_PKEY. Copies share the same
// immutable EVP_PKEY (reference counted); the last owner's destruction frees it and
// OpenSSL cleanses the private key. The private key leaves the object only through
// to_pem(), as a SecretString (wiped on destruction); callers encrypt that with
// aead.hpp's seal() before it touches disk. There is no operator<< and no way to print
// the key. A moved-from SigningKey is empty and may only be destroyed or assigned to.
//
// Thread-safety: a SigningKey is immutable after construction; const methods may be
// called concurrently from any thread.
#pragma once

#include <string>
#include <string_view>

#include <openssl/types.h>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::crypto {

enum class KeyType { kEd25519, kEcdsaP256 };

// "ed25519" / "ecdsa-p256".
std::string_view key_type_name(KeyType type);

class SigningKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static Result<SigningKey> generate(KeyType type);

  // Parses an unencrypted PKCS#8 ("BEGIN PRIVATE KEY") or traditional EC
  // ("BEGIN EC PRIVATE KEY") PEM private key. Encrypted PEM is refused (never prompts for
  // a passphrase). kInvalidArgument if malformed or of an unsupported algorithm; the
  // message never quotes the input.
  static Result<SigningKey> from_pem(std::string_view pem);

  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  ~SigningKey();

  // The private key as unencrypted PKCS#8 PEM. Round-trips through from_pem().
  SecretString to_pem() const;

  // The public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), the form
  // verify_signature(), CsrInfo and Certificate::public_key_pem() use. Two keys are the
  // same key exactly when these strings are equal.
  std::string public_key_pem() const;

  // Signs msg: Ed25519 (pure, 64-byte signature) or ECDSA with SHA-256 (DER-encoded
  // ECDSA-Sig-Value, at most 72 bytes). The result is raw binary.
  Result<std::string> sign(std::string_view msg) const;

  KeyType type() const { return type_; }

  // The underlying key, for handing to OpenSSL (SSL_CTX_use_PrivateKey, X509_sign).
  // Borrowed: valid while this SigningKey (or a copy) lives; callers must not free it
  // and must not modify it.
  EVP_PKEY* native() const { return pkey_; }

 private:
  SigningKey(EVP_PKEY* owned, KeyType type) : pkey_(owned), type_(type) {}
  // Takes ownership of `owned` (freed also on error); refuses unsupported algorithms.
  static Result<SigningKey> adopt(EVP_PKEY* owned);

  EVP_PKEY* pkey_ = nullptr;
  KeyType type_ = KeyType::kEd25519;
};

// Verifies sig over msg with a SubjectPublicKeyInfo PEM public key (Ed25519 or ECDSA
// P-256 with SHA-256, as SigningKey::sign produces). ok() only for a valid signature;
// kUnauthenticated for a wrong signature; kInvalidArgument for a malformed or
// unsupported public key.
Status verify_signature(std::string_view public_key_pem, std::string_view msg,
                        std::string_view sig);

}  // namespace ward::crypto
