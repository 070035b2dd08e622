#include "common/crypto/signing_key.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace ward::crypto {
namespace {

// RFC 8032 §7.1 TEST 1: the Ed25519 private key 9d61b19d... as PKCS#8 PEM, its public key,
// and the signature of the empty message.
constexpr const char* kRfc8032Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kRfc8032PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
    "-----END PUBLIC KEY-----\n";
constexpr unsigned char kRfc8032EmptySig[64] = {
    0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
    0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
    0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
    0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b};

TEST_CASE("Ed25519 key reproduces the RFC 8032 test 1 signature", "[unit]") {
  auto key = SigningKey::from_pem(kRfc8032Pem);
  REQUIRE(key.ok());
  CHECK(key->type() == KeyType::kEd25519);
  CHECK(key->public_key_pem() == kRfc8032PublicPem);
  auto sig = key->sign("");
  REQUIRE(sig.ok());
  CHECK(*sig == std::string(reinterpret_cast<const char*>(kRfc8032EmptySig), 64));
  CHECK(verify_signature(kRfc8032PublicPem, "", *sig).ok());
}

// A P-256 key from `openssl genpkey`, in its traditional SEC 1 form and as PKCS#8.
constexpr const char* kP256TraditionalPem =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEICMU4acqQQkDQFp8NYtNn5UmBtj1gKTuZlsU2EsJuxk6oAoGCCqGSM49\n"
    "AwEHoUQDQgAEz5/Y9Fci23oUMOkzSuEo6WCKZuYSdk0ubdnQpYijHDuomSNWIR0F\n"
    "f6Fh5XXwnglmaVP4jmm1fIAcq8qGbmnUbw==\n"
    "-----END EC PRIVATE KEY-----\n";
constexpr const char* kP256Pkcs8Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIxThpypBCQNAWnw1\n"
    "i02flSYG2PWApO5mWxTYSwm7GTqhRANCAATPn9j0VyLbehQw6TNK4SjpYIpm5hJ2\n"
    "TS5t2dCliKMcO6iZI1YhHQV/oWHldfCeCWZpU/iOabV8gByryoZuadRv\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kP256PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEz5/Y9Fci23oUMOkzSuEo6WCKZuYS\n"
    "dk0ubdnQpYijHDuomSNWIR0Ff6Fh5XXwnglmaVP4jmm1fIAcq8qGbmnUbw==\n"
    "-----END PUBLIC KEY-----\n";

TEST_CASE("P-256 keys from the openssl CLI load in both PEM forms", "[unit]") {
  for (const char* pem : {kP256TraditionalPem, kP256Pkcs8Pem}) {
    auto key = SigningKey::from_pem(pem);
    REQUIRE(key.ok());
    CHECK(key->type() == KeyType::kEcdsaP256);
    CHECK(key->public_key_pem() == kP256PublicPem);
    CHECK(key->to_pem().reveal() == kP256Pkcs8Pem);
    auto sig = key->sign("hello");
    REQUIRE(sig.ok());
    CHECK(sig->size() <= 72);
    CHECK(verify_signature(kP256PublicPem, "hello", *sig).ok());
  }
}

TEST_CASE("generated keys sign, verify and round-trip through PEM", "[unit]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsaP256}) {
    INFO(key_type_name(type));
    auto key = SigningKey::generate(type);
    REQUIRE(key.ok());
    CHECK(key->type() == type);
    auto sig = key->sign("netmap serial 7");
    REQUIRE(sig.ok());
    CHECK(verify_signature(key->public_key_pem(), "netmap serial 7", *sig).ok());

    auto wrong_msg = verify_signature(key->public_key_pem(), "netmap serial 8", *sig);
    REQUIRE_FALSE(wrong_msg.ok());
    CHECK(wrong_msg.error().code() == ErrorCode::kUnauthenticated);

    std::string flipped = *sig;
    flipped[flipped.size() / 2] ^= 0x01;
    CHECK(verify_signature(key->public_key_pem(), "netmap serial 7", flipped).error().code() ==
          ErrorCode::kUnauthenticated);
    CHECK(verify_signature(key->public_key_pem(), "netmap serial 7", "").error().code() ==
          ErrorCode::kUnauthenticated);

    SecretString pem = key->to_pem();
    CHECK(pem.reveal().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    auto again = SigningKey::from_pem(pem.reveal());
    REQUIRE(again.ok());
    CHECK(again->type() == type);
    CHECK(again->public_key_pem() == key->public_key_pem());
    CHECK(verify_signature(again->public_key_pem(), "netmap serial 7", *sig).ok());

    auto other = SigningKey::generate(type);
    REQUIRE(other.ok());
    CHECK(other->public_key_pem() != key->public_key_pem());
    CHECK(verify_signature(other->public_key_pem(), "netmap serial 7", *sig).error().code() ==
          ErrorCode::kUnauthenticated);
  }
}

TEST_CASE("SigningKey copies share the key and moves leave the source empty", "[unit]") {
  auto key = SigningKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  SigningKey copy = *key;
  CHECK(copy.public_key_pem() == key->public_key_pem());
  SigningKey moved = std::move(copy);
  CHECK(copy.native() == nullptr);  // NOLINT(bugprone-use-after-move): documented state
  CHECK(moved.public_key_pem() == key->public_key_pem());
  moved = *key;
  moved = std::move(moved);  // self-move leaves the key usable
  CHECK(moved.public_key_pem() == key->public_key_pem());
}

TEST_CASE("from_pem refuses garbage, other algorithms and encrypted keys", "[unit]") {
  auto garbage = SigningKey::from_pem("not a key");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code() == ErrorCode::kInvalidArgument);

  // A private key's PEM must never be quoted back into an error message.
  std::string damaged = std::string(kRfc8032Pem);
  damaged[40] = '!';
  auto bad = SigningKey::from_pem(damaged);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("MC4CAQAw") == std::string::npos);

  // X25519 is a key-agreement key, not a signing key.
  auto x25519 = SigningKey::from_pem(
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VuBCIEICgFy4/3F2BMmKWh6WSMQE88v5jXUi7ZWGmR9WGpNNFQ\n"
      "-----END PRIVATE KEY-----\n");
  REQUIRE_FALSE(x25519.ok());
  CHECK(x25519.error().code() == ErrorCode::kInvalidArgument);
  CHECK(x25519.error().message().find("unsupported key algorithm") != std::string::npos);

  // P-384 is an EC key on the wrong curve.
  auto p384 = SigningKey::from_pem(
      "-----BEGIN PRIVATE KEY-----\n"
      "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCz9/9HnxNs0aOtSzrg\n"
      "udsEgpb/mxUWX2FygU1d+ULr5sEsfaFmeANuOjT1NhtEGt+hZANiAASHvD2EDlXw\n"
      "NqTDccYbUJx7T3iQYd/aEVmMvH2I1pr23Tiz57nPywrZ0JwOp206QIr8LI1G5FM5\n"
      "nZRz6JHjDPTl6xZd4fTmU0wnDF6KNMJQdA90WqQXMh41IyqlvzAjY/g=\n"
      "-----END PRIVATE KEY-----\n");
  REQUIRE_FALSE(p384.ok());
  CHECK(p384.error().message().find("P-256") != std::string::npos);

  // An encrypted PKCS#8 key is refused without prompting for a passphrase.
  auto encrypted = SigningKey::from_pem(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
      "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjyuAUgpidosQICCAAw\n"
      "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEEyeFw7JqxqYuJi31c3GOBIEQEb8\n"
      "cvkeY9umIXLlMze0c60zWbaR52j2PWUeKu48QM3j01Czw2spslu+DIc19VbfmYzH\n"
      "4ZcAFpjNq/FDNHkR+uM=\n"
      "-----END ENCRYPTED PRIVATE KEY-----\n");
  CHECK_FALSE(encrypted.ok());

  CHECK(SigningKey::from_pem(std::string(70000, 'A')).error().code() ==
        ErrorCode::kInvalidArgument);
}

TEST_CASE("verify_signature refuses malformed public keys", "[unit]") {
  auto r =
      verify_signature("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "m", "s");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  CHECK(verify_signature("", "m", "s").error().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ward::crypto
