#include "common/crypto/x509.hpp"

#include <regex>
#include <string>

#include <catch2/catch.hpp>
#include <openssl/x509v3.h>

#include "common/crypto/encoding.hpp"

namespace ward::crypto {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;

// 2026-01-01T00:00:00Z.
const system_clock::time_point kNow = system_clock::from_time_t(1767225600);
constexpr seconds kDay = hours(24);

// Made with `openssl req -x509 -set_serial 0x00abc123 -addext subjectAltName=...`: a
// certificate Ward did not write, to check the readers against OpenSSL's own encoder.
constexpr const char* kFixturePem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBvDCCAWKgAwIBAgIEAKvBIzAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9maXh0\n"
    "dXJlLmV4YW1wbGUwHhcNMjYxMTI4MTczNjUyWhcNMzYxMTI1MTczNjUyWjAaMRgw\n"
    "FgYDVQQDDA9maXh0dXJlLmV4YW1wbGUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
    "AATPn9j0VyLbehQw6TNK4SjpYIpm5hJ2TS5t2dCliKMcO6iZI1YhHQV/oWHldfCe\n"
    "CWZpU/iOabV8gByryoZuadRvo4GVMIGSMB0GA1UdDgQWBBSREzXqsOL/iJws6aQX\n"
    "M67ojpNQazAfBgNVHSMEGDAWgBSREzXqsOL/iJws6aQXM67ojpNQazAPBgNVHRMB\n"
    "Af8EBTADAQH/MD8GA1UdEQQ4MDaCD2ZpeHR1cmUuZXhhbXBsZYILKi53YXJkLnRl\n"
    "c3SHBMAAAgeHEP16EVwAAAAAAAAAAAAAAAEwCgYIKoZIzj0EAwIDSAAwRQIhAKM5\n"
    "HbKLNcdmCYbtc13jImJ+Kh+eUVbcUG6BiqEDklJyAiBtPmnWJL/ei+eJxgGiBVX5\n"
    "3dCWLehnPKRsBsOSWaZMkA==\n"
    "-----END CERTIFICATE-----\n";

struct Pki {
  SigningKey ca_key;
  Certificate ca;
};

Pki make_pki(KeyType type, std::string_view name = "Ward Device CA",
             seconds lifetime = 3650 * kDay) {
  auto key = SigningKey::generate(type);
  REQUIRE(key.ok());
  auto ca = create_ca(*key, name, lifetime, kNow);
  if (!ca.ok()) FAIL(ca.error().to_string());
  return Pki{*key, *ca};
}

IssueOptions device_options() {
  IssueOptions o;
  o.common_name = "device-1";
  o.dns_names = {"laptop-17.ward.internal"};
  o.ip_addresses = {"100.64.0.7", "fd7a:115c:a1e0::7"};
  o.lifetime = 7 * kDay;
  o.usage = IssueOptions::Usage::kClient;
  o.now = kNow;
  return o;
}

std::string error_of(const Status& s) {
  return s.ok() ? "ok" : s.error().to_string();
}

TEST_CASE("create_ca makes a pathlen-0 CA with the requested validity", "[unit]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
    INFO(key_type_name(type));
    Pki pki = make_pki(type);
    CHECK(pki.ca.is_ca());
    CHECK(pki.ca.common_name() == "Ward Device CA");
    CHECK(pki.ca.not_before() == kNow - minutes(5));
    CHECK(pki.ca.not_after() == kNow + 3650 * kDay);
    CHECK(pki.ca.public_key_pem() == pki.ca_key.public_key_pem());
    CHECK(std::regex_match(pki.ca.serial_hex(), std::regex("[1-9a-f][0-9a-f]{31}")));
    X509* x = pki.ca.native();
    CHECK(X509_get_pathlen(x) == 0);
    CHECK((X509_get_key_usage(x) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
          (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    CHECK((X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) == 0);
    CHECK(X509_get0_subject_key_id(x) != nullptr);
    int crit = -1;
    auto* bc =
        static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr));
    REQUIRE(bc != nullptr);
    CHECK(crit == 1);
    BASIC_CONSTRAINTS_free(bc);
    // A CA is not an end-entity identity, even against itself.
    auto self = verify_certificate(pki.ca, pki.ca, kNow);
    REQUIRE_FALSE(self.ok());
    CHECK(self.error().message().find("is a CA certificate") != std::string::npos);
  }
}

TEST_CASE("issue_from_csr and verify round trip for every CA and device key type", "[unit]") {
  for (KeyType ca_type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
    for (KeyType dev_type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
      INFO(key_type_name(ca_type) << " CA, " << key_type_name(dev_type) << " device");
      Pki pki = make_pki(ca_type);
      auto dev_key = SigningKey::generate(dev_type);
      REQUIRE(dev_key.ok());
      // The CSR claims another identity; only IssueOptions may decide the subject.
      auto csr = make_csr(*dev_key, "admin-workstation");
      REQUIRE(csr.ok());
      auto info = inspect_csr(*csr);
      REQUIRE(info.ok());
      CHECK(info->common_name == "admin-workstation");
      CHECK(info->public_key_pem == dev_key->public_key_pem());

      auto cert = issue_from_csr(pki.ca, pki.ca_key, *csr, device_options());
      REQUIRE(cert.ok());
      CHECK(cert->common_name() == "device-1");
      CHECK(cert->dns_names() == std::vector<std::string>{"laptop-17.ward.internal"});
      CHECK(cert->ip_addresses() == std::vector<std::string>{"100.64.0.7", "fd7a:115c:a1e0::7"});
      CHECK(cert->public_key_pem() == dev_key->public_key_pem());
      CHECK_FALSE(cert->is_ca());
      CHECK(cert->not_before() == kNow - minutes(5));
      CHECK(cert->not_after() == kNow + 7 * kDay);
      CHECK(std::regex_match(cert->serial_hex(), std::regex("[1-9a-f][0-9a-f]{31}")));
      CHECK(cert->serial_hex() != pki.ca.serial_hex());
      X509* x = cert->native();
      CHECK(X509_get_extended_key_usage(x) == XKU_SSL_CLIENT);
      CHECK(X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
      CHECK(X509_check_issued(pki.ca.native(), x) == X509_V_OK);
      CHECK(X509_get0_authority_key_id(x) != nullptr);
      CHECK(X509_get0_subject_key_id(x) != nullptr);

      INFO(error_of(verify_certificate(*cert, pki.ca, kNow)));
      CHECK(verify_certificate(*cert, pki.ca, kNow).ok());
      // Inside the 5-minute skew allowance and just before expiry.
      CHECK(verify_certificate(*cert, pki.ca, kNow - minutes(4)).ok());
      CHECK(verify_certificate(*cert, pki.ca, kNow + 7 * kDay - seconds(1)).ok());
    }
  }
}

TEST_CASE("issue_for_key issues server certificates for a key directly", "[unit]") {
  Pki pki = make_pki(KeyType::kEcdsaP256);
  auto server_key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(server_key.ok());
  IssueOptions o;
  o.common_name = "controller.ward.internal";
  o.dns_names = {"controller.ward.internal", "localhost"};
  o.ip_addresses = {"127.0.0.1", "::1"};
  o.lifetime = 90 * kDay;
  o.usage = IssueOptions::Usage::kServer;
  o.now = kNow;
  auto cert = issue_for_key(pki.ca, pki.ca_key, *server_key, o);
  REQUIRE(cert.ok());
  CHECK(cert->public_key_pem() == server_key->public_key_pem());
  CHECK(cert->dns_names() == o.dns_names);
  CHECK(cert->ip_addresses() == o.ip_addresses);
  CHECK(X509_get_extended_key_usage(cert->native()) == XKU_SSL_SERVER);
  CHECK(verify_certificate(*cert, pki.ca, kNow).ok());

  o.usage = IssueOptions::Usage::kServerAndClient;
  o.dns_names.clear();
  o.ip_addresses.clear();
  auto both = issue_for_key(pki.ca, pki.ca_key, *server_key, o);
  REQUIRE(both.ok());
  CHECK(X509_get_extended_key_usage(both->native()) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
  CHECK(both->dns_names().empty());
  CHECK(both->ip_addresses().empty());
}

TEST_CASE("verify_certificate names expired and not-yet-valid certificates", "[unit]") {
  Pki pki = make_pki(KeyType::kEd25519);
  auto key = SigningKey::generate(KeyType::kEd25519);
  REQUIRE(key.ok());
  auto cert = issue_for_key(pki.ca, pki.ca_key, *key, device_options());
  REQUIRE(cert.ok());

  auto expired = verify_certificate(*cert, pki.ca, kNow + 7 * kDay + seconds(1));
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().code() == ErrorCode::kUnauthenticated);
  CHECK(expired.error().message().find("\"device-1\"") != std::string::npos);
  CHECK(expired.error().message().find("expired at 2026-01-08T00:00:00Z") != std::string::npos);

  auto early = verify_certificate(*cert, pki.ca, kNow - minutes(6));
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code() == ErrorCode::kUnauthenticated);
  CHECK(early.error().message().find("not valid until 2025-12-31T23:55:00Z") != std::string::npos);
}

TEST_CASE("leaf lifetime is cut to the CA's, and an expired CA fails verification", "[unit]") {
  Pki pki = make_pki(KeyType::kEcdsaP256, "Short CA", 3 * kDay);
  auto key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  auto cert = issue_for_key(pki.ca, pki.ca_key, *key, device_options());  // asks for 7 days
  REQUIRE(cert.ok());
  CHECK(cert->not_after() == pki.ca.not_after());

  // Issue a leaf near the end, then check after the CA expired but with a leaf that is
  // otherwise valid: make the leaf outlive the check by issuing it from a 2-day-old now.
  IssueOptions o = device_options();
  o.now = kNow + 2 * kDay;
  auto late = issue_for_key(pki.ca, pki.ca_key, *key, o);
  REQUIRE(late.ok());
  auto r = verify_certificate(*late, pki.ca, kNow + 3 * kDay + seconds(1));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("expired") != std::string::npos);

  o.now = kNow + 3 * kDay;
  auto refused = issue_for_key(pki.ca, pki.ca_key, *key, o);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().find("expired") != std::string::npos);
}

TEST_CASE("a certificate from another CA is refused", "[unit]") {
  Pki ours = make_pki(KeyType::kEcdsaP256);
  Pki other_name = make_pki(KeyType::kEcdsaP256, "Attacker CA");
  Pki same_name = make_pki(KeyType::kEd25519, "Ward Device CA");  // name collision
  auto key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  for (const Pki* rogue : {&other_name, &same_name}) {
    auto cert = issue_for_key(rogue->ca, rogue->ca_key, *key, device_options());
    REQUIRE(cert.ok());
    CHECK(verify_certificate(*cert, rogue->ca, kNow).ok());
    auto r = verify_certificate(*cert, ours.ca, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnauthenticated);
    CHECK(r.error().message().find("not issued by the pinned CA") != std::string::npos);
  }
  // A leaf cannot stand in for a pinned CA.
  auto leaf = issue_for_key(ours.ca, ours.ca_key, *key, device_options());
  REQUIRE(leaf.ok());
  CHECK(verify_certificate(*leaf, *leaf, kNow).error().code() == ErrorCode::kUnauthenticated);
}

std::string flip_last_der_byte(const std::string& pem, std::string_view label) {
  std::string b64;
  std::size_t start = pem.find('\n') + 1;
  std::size_t end = pem.find("-----END");
  for (char c : pem.substr(start, end - start)) {
    if (c != '\n') b64 += c;
  }
  auto der = base64_decode(b64);
  REQUIRE(der.ok());
  der->back() ^= 0x01;
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  std::string enc = base64_encode(*der);
  for (std::size_t i = 0; i < enc.size(); i += 64)
    out += enc.substr(i, 64) + "\n";
  return out + "-----END " + std::string(label) + "-----\n";
}

TEST_CASE("a CSR with a broken signature is refused", "[unit]") {
  Pki pki = make_pki(KeyType::kEcdsaP256);
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
    auto key = SigningKey::generate(type);
    REQUIRE(key.ok());
    auto csr = make_csr(*key, "device-1");
    REQUIRE(csr.ok());
    std::string broken = flip_last_der_byte(*csr, "CERTIFICATE REQUEST");
    auto info = inspect_csr(broken);
    REQUIRE_FALSE(info.ok());
    CHECK(info.error().code() == ErrorCode::kUnauthenticated);
    auto cert = issue_from_csr(pki.ca, pki.ca_key, broken, device_options());
    REQUIRE_FALSE(cert.ok());
    CHECK(cert.error().code() == ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("a certificate with a broken signature is refused", "[unit]") {
  Pki pki = make_pki(KeyType::kEd25519);
  auto key = SigningKey::generate(KeyType::kEd25519);
  REQUIRE(key.ok());
  auto cert = issue_for_key(pki.ca, pki.ca_key, *key, device_options());
  REQUIRE(cert.ok());
  auto broken = Certificate::from_pem(flip_last_der_byte(cert->to_pem(), "CERTIFICATE"));
  REQUIRE(broken.ok());
  auto r = verify_certificate(*broken, pki.ca, kNow);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kUnauthenticated);
}

TEST_CASE("issuing refuses bad options and mismatched CA material", "[unit]") {
  Pki pki = make_pki(KeyType::kEcdsaP256);
  auto key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  auto refuse = [&](IssueOptions o, std::string_view fragment) {
    auto r = issue_for_key(pki.ca, pki.ca_key, *key, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    INFO(r.error().message());
    CHECK(r.error().message().find(fragment) != std::string::npos);
  };
  IssueOptions o = device_options();
  o.common_name = "";
  refuse(o, "common name");
  o = device_options();
  o.common_name = std::string(65, 'a');
  refuse(o, "1 to 64");
  o = device_options();
  o.common_name = "dev\nice";
  refuse(o, "control character");
  o = device_options();
  o.dns_names = {"a.example,DNS:evil.example"};
  refuse(o, "DNS name");
  o = device_options();
  o.dns_names = {""};
  refuse(o, "DNS name");
  o = device_options();
  o.ip_addresses = {"100.64.0.256"};
  refuse(o, "\"100.64.0.256\"");
  o = device_options();
  o.lifetime = seconds(0);
  refuse(o, "lifetime");

  auto other_key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(other_key.ok());
  auto mismatched = issue_for_key(pki.ca, *other_key, *key, device_options());
  REQUIRE_FALSE(mismatched.ok());
  CHECK(mismatched.error().message().find("does not match") != std::string::npos);

  auto leaf = issue_for_key(pki.ca, pki.ca_key, *key, device_options());
  REQUIRE(leaf.ok());
  auto from_leaf = issue_for_key(*leaf, *key, *key, device_options());
  REQUIRE_FALSE(from_leaf.ok());
  CHECK(from_leaf.error().message().find("not a CA") != std::string::npos);

  CHECK(create_ca(pki.ca_key, "", kDay, kNow).error().code() == ErrorCode::kInvalidArgument);
  CHECK(create_ca(pki.ca_key, "CA", seconds(-1), kNow).error().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("certificates round-trip through PEM and DER", "[unit]") {
  Pki pki = make_pki(KeyType::kEd25519);
  auto key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  auto cert = issue_for_key(pki.ca, pki.ca_key, *key, device_options());
  REQUIRE(cert.ok());

  std::string pem = cert->to_pem();
  CHECK(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  auto from_pem = Certificate::from_pem(pem);
  REQUIRE(from_pem.ok());
  CHECK(from_pem->to_der() == cert->to_der());
  CHECK(from_pem->serial_hex() == cert->serial_hex());

  auto from_der = Certificate::from_der(cert->to_der());
  REQUIRE(from_der.ok());
  CHECK(from_der->to_pem() == pem);
  CHECK(from_der->fingerprint_sha256_hex() == cert->fingerprint_sha256_hex());
  CHECK(from_der->fingerprint_sha256_hex().size() == 64);
  CHECK(verify_certificate(*from_der, pki.ca, kNow).ok());

  auto trailing = Certificate::from_der(cert->to_der() + "x");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message().find("trailing") != std::string::npos);

  // Copies share the X509; both stay usable after the original goes away.
  Certificate copy = *from_der;
  {
    Certificate moved = std::move(*from_der);
    CHECK(moved.common_name() == "device-1");
  }
  CHECK(copy.common_name() == "device-1");
  Certificate adopted = Certificate::adopt(X509_dup(copy.native()));
  CHECK(adopted.to_der() == copy.to_der());
}

TEST_CASE("readers agree with a certificate made by the openssl CLI", "[unit]") {
  auto cert = Certificate::from_pem(kFixturePem);
  REQUIRE(cert.ok());
  CHECK(cert->serial_hex() == "abc123");
  CHECK(cert->common_name() == "fixture.example");
  CHECK(cert->dns_names() == std::vector<std::string>{"fixture.example", "*.ward.test"});
  CHECK(cert->ip_addresses() == std::vector<std::string>{"192.0.2.7", "fd7a:115c::1"});
  CHECK(cert->not_before() == system_clock::from_time_t(1795887412));
  CHECK(cert->not_after() == system_clock::from_time_t(2111247412));
  CHECK(cert->is_ca());
  // Its key is the P-256 key in signing_key_test.cpp.
  CHECK(cert->public_key_pem() ==
        "-----BEGIN PUBLIC KEY-----\n"
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEz5/Y9Fci23oUMOkzSuEo6WCKZuYS\n"
        "dk0ubdnQpYijHDuomSNWIR0Ff6Fh5XXwnglmaVP4jmm1fIAcq8qGbmnUbw==\n"
        "-----END PUBLIC KEY-----\n");
}

TEST_CASE("garbage input gives clean errors", "[unit]") {
  for (std::string_view junk :
       {std::string_view(""), std::string_view("garbage"),
        std::string_view("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
    auto c = Certificate::from_pem(junk);
    REQUIRE_FALSE(c.ok());
    CHECK(c.error().code() == ErrorCode::kInvalidArgument);
    CHECK(Certificate::from_der(junk).error().code() == ErrorCode::kInvalidArgument);
    CHECK(inspect_csr(junk).error().code() == ErrorCode::kInvalidArgument);
  }
  CHECK(Certificate::from_pem(std::string(100000, 'A')).error().code() ==
        ErrorCode::kInvalidArgument);
  CHECK(inspect_csr(kFixturePem).error().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ward::crypto
