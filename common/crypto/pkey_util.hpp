// Internal to ward_crypto: shared handling of EVP_PKEY public keys for signing_key.cpp and
// x509.cpp. Not part of the public API.
#pragma once

#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "common/base/result.hpp"
#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/signing_key.hpp"

namespace ward::crypto::detail {

// The Ward key type of pkey, or kInvalidArgument naming the algorithm if it is neither
// Ed25519 nor EC over P-256. Works on public and private keys.
Result<KeyType> classify_key(const EVP_PKEY* pkey);

// Digest name to pass to EVP_DigestSignInit_ex / EVP_DigestVerifyInit_ex for this key
// type: "SHA256" for ECDSA, nullptr for Ed25519 (which hashes internally).
const char* digest_name(KeyType type);

// The digest X509_sign / X509_REQ_sign need for a key type (nullptr for Ed25519).
const EVP_MD* x509_sign_md(KeyType type);

// SubjectPublicKeyInfo PEM of pkey's public half.
std::string public_key_pem(const EVP_PKEY* pkey);

// Parses a SubjectPublicKeyInfo PEM and checks the algorithm (classify_key). Never quotes
// the input.
Result<EvpPkeyPtr> parse_public_key_pem(std::string_view pem);

}  // namespace ward::crypto::detail
