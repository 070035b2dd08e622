// Internal to ward_crypto: RAII owners for OpenSSL objects and the error-queue bridge.
//
// Not part of the public API; other areas use the typed wrappers (SigningKey,
// Certificate, ...). Every owner is a std::unique_ptr with a stateless deleter, so it is
// the size of a raw pointer and frees exactly once. Freeing a key object (EVP_PKEY_free)
// also cleanses OpenSSL's copy of the private key.
#pragma once

#include <memory>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/base/error.hpp"

namespace ward::crypto::detail {

template <auto FreeFn>
struct OsslDeleter {
  template <class T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OsslDeleter<ASN1_INTEGER_free>>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING_free>>;
using EvpCipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;
using EvpCipherPtr = std::unique_ptr<EVP_CIPHER, OsslDeleter<EVP_CIPHER_free>>;
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, OsslDeleter<EVP_MAC_CTX_free>>;
using EvpMacPtr = std::unique_ptr<EVP_MAC, OsslDeleter<EVP_MAC_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using EvpMdPtr = std::unique_ptr<EVP_MD, OsslDeleter<EVP_MD_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<GENERAL_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OsslDeleter<X509_REQ_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE_free>>;

// Builds an Error with `code` whose message is `what` followed by the reason of the most
// recent entry in this thread's OpenSSL error queue (library reason text only, never
// data), then empties the queue so a stale entry cannot leak into a later, unrelated error.
Error ossl_error(ErrorCode code, std::string_view what);

// Empties this thread's OpenSSL error queue (call before an operation whose failure is
// reported by return value, e.g. a PEM parse, so the queue is attributable to it).
void clear_ossl_errors();

// For operations that cannot fail except by running out of memory (hashing with a
// built-in algorithm, serialising an object we built): prints `what` and the queue to
// stderr and aborts. Never used on a path that depends on caller input.
[[noreturn]] void ossl_fatal(std::string_view what);

// Upper bound on any PEM or DER input (keys, CSRs, certificates) accepted from a caller;
// larger input is refused with kInvalidArgument before OpenSSL sees it.
inline constexpr std::size_t kMaxEncodedObjectBytes = 64 * 1024;

// A pem_password_cb that refuses: Ward never reads passphrase-protected PEM, and
// OpenSSL's default callback would prompt on the controlling terminal. Pass it to every
// PEM_read_bio_* call, including for certificates, CSRs and public keys (a PEM block
// with encryption headers triggers the callback whatever its type).
int refuse_passphrase(char* buf, int size, int rwflag, void* userdata);

// A read-only memory BIO over `data`, which must outlive the BIO. `data` must be at most
// kMaxEncodedObjectBytes (callers check first). Aborts on OOM.
BioPtr read_bio(std::string_view data);

// Contents of a memory BIO as a std::string (a copy; not for secret material).
std::string bio_to_string(BIO* bio);

}  // namespace ward::crypto::detail
