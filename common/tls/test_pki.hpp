// Test-only: a throwaway PKI (CA + leaf certificates) built with ward::crypto, for TLS
// tests here and in other areas (HTTP over TLS).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/x509.hpp"
#include "common/tls/context.hpp"

namespace ward::tls::testing {

struct Leaf {
  std::string cert_pem;
  SecretString key_pem;
  std::string der;
};

class TestPki {
 public:
  explicit TestPki(const std::string& name,
                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now())
      : ca_key_(must(crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256))),
        ca_(must(crypto::create_ca(ca_key_, name, std::chrono::hours(24), now))) {}

  std::string ca_pem() const { return ca_.to_pem(); }

  // A leaf for a fresh key. lifetime counts from `now`; a `now` far in the past gives an
  // expired certificate.
  Leaf issue(const std::string& cn, crypto::IssueOptions::Usage usage,
             std::vector<std::string> dns_names = {}, std::vector<std::string> ips = {},
             std::chrono::system_clock::time_point now = std::chrono::system_clock::now(),
             std::chrono::seconds lifetime = std::chrono::hours(1)) const {
    auto key = must(crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256));
    auto csr = must(crypto::make_csr(key, cn));
    crypto::IssueOptions opts;
    opts.common_name = cn;
    opts.dns_names = std::move(dns_names);
    opts.ip_addresses = std::move(ips);
    opts.lifetime = lifetime;
    opts.usage = usage;
    opts.now = now;
    auto cert = must(crypto::issue_from_csr(ca_, ca_key_, csr, opts));
    return Leaf{cert.to_pem(), key.to_pem(), cert.to_der()};
  }

  Leaf server(const std::string& name = "controller.ward.test") const {
    return issue(name, crypto::IssueOptions::Usage::kServer, {name}, {"127.0.0.1", "::1"});
  }
  Leaf client(const std::string& cn = "device-1") const {
    return issue(cn, crypto::IssueOptions::Usage::kClient);
  }

 private:
  template <class T>
  static T must(Result<T> r) {
    if (!r) FAIL("test PKI: " << r.error().to_string());
    return std::move(r).value();
  }

  crypto::SigningKey ca_key_;
  crypto::Certificate ca_;
};

inline TlsConfig server_config(const Leaf& leaf, std::string ca_pem = {},
                               ClientAuth auth = ClientAuth::kNone) {
  TlsConfig c;
  c.role = Role::kServer;
  c.cert_pem = leaf.cert_pem;
  c.key_pem = leaf.key_pem;
  c.ca_pem = std::move(ca_pem);
  c.client_auth = auth;
  return c;
}

inline TlsConfig client_config(std::string ca_pem, std::string server_name,
                               const Leaf* leaf = nullptr) {
  TlsConfig c;
  c.role = Role::kClient;
  c.ca_pem = std::move(ca_pem);
  c.server_name = std::move(server_name);
  if (leaf != nullptr) {
    c.cert_pem = leaf->cert_pem;
    c.key_pem = leaf->key_pem;
  }
  return c;
}

}  // namespace ward::tls::testing
