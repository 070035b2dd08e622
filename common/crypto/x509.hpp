// A small X.509 layer for Ward's private PKI: one self-signed device CA per controller,
// end-entity certificates for devices (TLS client) and the controller (TLS server).
//
// Identity is decided by the caller: issue_from_csr() takes the public key from the CSR
// (after verifying the CSR's self-signature) and everything else — subject, SANs,
// lifetime, usage — from IssueOptions. Nothing the CSR claims about its subject is copied.
//
// Time is always passed in (`now`) so expiry is testable and decisions are reproducible.
// Keys Ward signs with and keys in CSRs are Ed25519 or ECDSA P-256 (see signing_key.hpp);
// CSRs with other algorithms are refused. Certificate itself parses any X.509 v3
// certificate, whatever its key (e.g. for reading a fixture or a peer's certificate).
//
// Thread-safety: Certificate is immutable; copies share one reference-counted X509 and
// may be used concurrently. The free functions are thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "common/base/result.hpp"
#include "common/crypto/signing_key.hpp"

namespace ward::crypto {

class Certificate {
 public:
  // Parses exactly one PEM "CERTIFICATE" block (text after it is ignored; a second
  // certificate is not read). kInvalidArgument for malformed input or input over 64 KiB.
  static Result<Certificate> from_pem(std::string_view pem);
  // Parses one DER certificate; trailing bytes after it are refused.
  static Result<Certificate> from_der(std::string_view der);
  // Wraps an X509 the caller owns one reference to (e.g. from
  // SSL_get1_peer_certificate); the Certificate takes that reference over. x != nullptr
  // (aborts otherwise). To wrap a borrowed X509 (SSL_get0_...), X509_up_ref it first.
  static Certificate adopt(X509* x);

  // Copies share the X509 (X509_up_ref). A moved-from Certificate may only be destroyed
  // or assigned to.
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&& other) noexcept;
  Certificate& operator=(Certificate&& other) noexcept;
  ~Certificate();

  std::string to_pem() const;
  // Binary DER bytes.
  std::string to_der() const;

  // The serial number as lowercase hex, big-endian, without leading zero digits ("0" for
  // zero; a leading '-' for the negative serials some foreign CAs write). Ward issues
  // random 128-bit positive serials (always 32 hex digits), so this is the certificate's
  // id in revocation lists and audit entries.
  std::string serial_hex() const;
  // SHA-256 over the DER encoding, lowercase hex (64 chars); a pin for logs and UIs.
  std::string fingerprint_sha256_hex() const;

  // Validity bounds, second precision; the epoch if the field cannot be parsed.
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;

  // The subject's first commonName as UTF-8; empty if there is none.
  std::string common_name() const;
  // subjectAltName dNSName entries, in certificate order.
  std::vector<std::string> dns_names() const;
  // subjectAltName iPAddress entries as text ("192.0.2.1", "fd7a::1"), in order.
  std::vector<std::string> ip_addresses() const;

  // The subject public key as SubjectPublicKeyInfo PEM; compare with
  // SigningKey::public_key_pem() / CsrInfo::public_key_pem by string equality.
  std::string public_key_pem() const;

  // True when basicConstraints says CA:TRUE.
  bool is_ca() const;

  // Borrowed: valid while this Certificate (or a copy) lives; do not free or modify.
  // To keep it beyond that, X509_up_ref it.
  X509* native() const { return x509_; }

 private:
  explicit Certificate(X509* owned) : x509_(owned) {}

  X509* x509_ = nullptr;
};

// A PKCS#10 CSR (PEM) for `key` with subject CN=common_name, self-signed by `key`.
// The controller ignores the subject; it exists so the CSR is well formed and readable.
Result<std::string> make_csr(const SigningKey& key, std::string_view common_name);

struct CsrInfo {
  std::string common_name;     // the subject CN the CSR claims (informational only)
  std::string public_key_pem;  // SubjectPublicKeyInfo PEM
};

// Parses a PEM CSR, verifies its self-signature (proof that the requester holds the
// private key) and that its key is Ed25519 or ECDSA P-256. kInvalidArgument for
// malformed input or an unsupported key; kUnauthenticated for a bad signature.
Result<CsrInfo> inspect_csr(std::string_view csr_pem);

struct IssueOptions {
  enum class Usage { kServer, kClient, kServerAndClient };

  std::string common_name;                // required, 1..64 bytes, no control characters
  std::vector<std::string> dns_names;     // SAN dNSName: letters, digits, '-', '.', '*'
  std::vector<std::string> ip_addresses;  // SAN iPAddress: IPv4 or IPv6 literals
  std::chrono::seconds lifetime{0};       // > 0; notAfter = now + lifetime
  Usage usage = Usage::kClient;           // extendedKeyUsage serverAuth / clientAuth / both
  std::chrono::system_clock::time_point now{};
};

// Maximum clock skew tolerated between controller and nodes: issued certificates (and
// CAs) carry notBefore = now - kNotBeforeSkew.
inline constexpr std::chrono::minutes kNotBeforeSkew{5};

// A self-signed CA certificate for ca_key: subject = issuer = CN=name; basicConstraints
// critical CA:TRUE, pathlen:0; keyUsage critical keyCertSign, cRLSign; subject key
// identifier; random 128-bit serial; valid from now - kNotBeforeSkew to now + lifetime.
Result<Certificate> create_ca(const SigningKey& ca_key, std::string_view name,
                              std::chrono::seconds lifetime,
                              std::chrono::system_clock::time_point now);

// Issues an end-entity certificate signed by (ca, ca_key) for the public key in csr_pem
// (after inspect_csr() succeeds). Subject CN, SANs, lifetime and usage come only from
// `options`. The certificate has: a random 128-bit positive serial; notBefore = now -
// kNotBeforeSkew; notAfter = now + lifetime, cut back to the CA's notAfter if later;
// basicConstraints critical CA:FALSE; keyUsage critical digitalSignature;
// extendedKeyUsage per options.usage; subject and authority key identifiers.
// kInvalidArgument for bad options or a CA certificate / key that do not belong together
// or a CA certificate that is not a CA; errors of inspect_csr() pass through.
Result<Certificate> issue_from_csr(const Certificate& ca, const SigningKey& ca_key,
                                   std::string_view csr_pem, const IssueOptions& options);

// As issue_from_csr(), for subject_key's public key directly (the controller's own TLS
// server certificate, whose key never needs a CSR).
Result<Certificate> issue_for_key(const Certificate& ca, const SigningKey& ca_key,
                                  const SigningKey& subject_key, const IssueOptions& options);

// Verifies that `leaf` is an end-entity certificate issued by `pinned_ca` and valid at
// `now` (both leaf and CA). Only pinned_ca is trusted; no system store, no intermediates.
// ok() or kUnauthenticated with a message naming the reason: expired, not yet valid,
// not issued by the pinned CA, a CA certificate presented as a leaf, or the pinned CA
// itself expired / not yet valid.
Status verify_certificate(const Certificate& leaf, const Certificate& pinned_ca,
                          std::chrono::system_clock::time_point now);

}  // namespace ward::crypto
