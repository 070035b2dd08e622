// The controller's own TLS server certificate: issued from the controller CA by `init`,
// and renewed by `serve` before it expires or when the controller's names change.
//
// Storage: the certificate (PEM) in setting kServerCertPem and its private key sealed under
// the master key in kServerKeySealed (context.hpp). A renewal replaces both, and appends a
// `controller.server_cert.renew` audit entry, in one transaction: a crash leaves the old
// pair or the new one, never a mix. Each renewal makes a fresh key.
//
// Clients (wardctl, ward-node) pin the CA, not the leaf, so a renewed certificate is
// accepted without any change on their side.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/x509.hpp"
#include "controller/audit/log.hpp"
#include "controller/store/store.hpp"

namespace ward::controller {

inline constexpr std::chrono::seconds kServerCertLifetime{2LL * 365 * 24 * 3600};
// Renew when the certificate expires within this long (or has already expired).
inline constexpr std::chrono::seconds kServerCertRenewBefore{30LL * 24 * 3600};

// DNS names and IP literals for the certificate; the first name is its common name.
struct ServerNames {
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  std::string common_name;
};
// kInvalidArgument quoting a name that is neither an IP literal nor a DNS name, or for an
// empty list.
Result<ServerNames> split_server_names(const std::vector<std::string>& names);

struct ServerCert {
  crypto::Certificate cert;
  crypto::SigningKey key;  // fresh ECDSA P-256
};
// The init path: a fresh key and a serverAuth certificate for `names` from the CA.
Result<ServerCert> issue_server_cert(const crypto::Certificate& ca,
                                     const crypto::SigningKey& ca_key,
                                     const std::vector<std::string>& names,
                                     std::chrono::seconds lifetime,
                                     std::chrono::system_clock::time_point now);

// The names a certificate is valid for (SAN dNSName entries, then iPAddress entries).
std::vector<std::string> server_cert_names(const crypto::Certificate& cert);

// Why `cert` must be replaced at `now`, or nullopt: it expires within renew_before (or
// has expired), or `wanted` is non-empty and names a different set of DNS names / IPs
// (compared case-insensitively, order and duplicates ignored).
std::optional<std::string> server_cert_renewal_reason(const crypto::Certificate& cert,
                                                      const std::vector<std::string>& wanted,
                                                      std::chrono::system_clock::time_point now,
                                                      std::chrono::seconds renew_before);

struct RenewPolicy {
  std::vector<std::string> names;  // wanted names; empty: keep the current certificate's
  std::chrono::seconds lifetime = kServerCertLifetime;
  std::chrono::seconds renew_before = kServerCertRenewBefore;
};

struct RenewedServerCert {
  std::string cert_pem;
  SecretString key_pem;
  std::string serial;
  std::chrono::system_clock::time_point not_after;
  std::string reason;
};

// Reads the stored certificate and, if server_cert_renewal_reason() says so, issues a new
// one (for policy.names, or the current certificate's names) and stores it with the
// audit entry, all in one transaction. nullopt when the stored certificate is fine.
// An unreadable stored certificate is replaced too (its names then must come from
// policy.names, else kCorruption).
Result<std::optional<RenewedServerCert>> renew_server_cert_if_due(
    store::Store& store, const audit::Log& audit, const crypto::Certificate& ca,
    const crypto::SigningKey& ca_key, const SecretBytes& master_key, const RenewPolicy& policy,
    std::chrono::system_clock::time_point now);

}  // namespace ward::controller
