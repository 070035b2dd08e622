#include "common/crypto/wg_key.hpp"

#include <string>
#include <unordered_set>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"

namespace ward::crypto {
namespace {

// Pairs from `wg genkey | tee /dev/stderr | wg pubkey` (wireguard-tools on Debian 12).
struct WgPair {
  const char* private_b64;
  const char* public_b64;
};
constexpr WgPair kWgPairs[] = {
    {"cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTV0=",
     "VMfCh5BxqTsrrdhvhJ0cxe3WqMgsnwaFTu8fyBSYemA="},
    {"CCKDiLKdkcKkD/LI0pM4UR5GJzYzaywVbrslAgOq2lg=",
     "Ssybol6phgwJT1JX6F1y70AnfpA4NPRrvGOvN1ki2Xw="},
    {"KIf6LVJrqPTHRMARVO0zCJFLi8i3Kk8I9AjBFzWd/2Y=",
     "8OoT5Uzv7JzxngsiovCrlIGRv7BsvRC5qzWtXIf/cgg="},
    {"QNzVix+m6WgdBSzyj0LqajhZw4S0ryWYk4+2GQFhPGw=",
     "bWAL50uiZ+71W/T54imGFhoSEyCQGndPGylZxd9afXo="},
    // Not clamped: `wg pubkey` clamps internally and so must we, without altering the key.
    {"//////////////////////////////////////////8=",
     "hHwNLDdSNPNl5mCVUYejc1oPdhPRYJ06ak2MU66qWiI="},
};

WgPublicKey pub_from_hex(std::string_view h) {
  auto k = WgPublicKey::from_hex(h);
  REQUIRE(k.ok());
  return *k;
}

WgPrivateKey priv_from_hex(std::string_view h) {
  auto k = WgPrivateKey::from_hex(h);
  REQUIRE(k.ok());
  return *k;
}

TEST_CASE("private keys give the public keys wg pubkey gives", "[unit]") {
  for (const WgPair& p : kWgPairs) {
    INFO(p.public_b64);
    auto priv = WgPrivateKey::from_base64(p.private_b64);
    REQUIRE(priv.ok());
    CHECK(priv->to_base64().reveal() == p.private_b64);
    CHECK(priv->public_key().to_base64() == p.public_b64);
    auto pub = WgPublicKey::from_base64(p.public_b64);
    REQUIRE(pub.ok());
    CHECK(*pub == priv->public_key());
    // Hex (UAPI) forms round-trip to the same keys.
    auto priv2 = WgPrivateKey::from_hex(priv->to_hex().reveal());
    REQUIRE(priv2.ok());
    CHECK(priv2->to_base64().reveal() == p.private_b64);
    CHECK(WgPublicKey::from_hex(pub->to_hex()).value() == *pub);
    CHECK(priv->to_bytes().size() == kWgKeySize);
  }
}

TEST_CASE("generate clamps like wg genkey and makes distinct keys", "[unit]") {
  std::unordered_set<WgPublicKey> seen;
  for (int i = 0; i < 16; ++i) {
    auto key = WgPrivateKey::generate();
    REQUIRE(key.ok());
    SecretBytes b = key->to_bytes();
    CHECK((b.data()[0] & 7) == 0);
    CHECK((b.data()[31] & 128) == 0);
    CHECK((b.data()[31] & 64) == 64);
    CHECK(key->to_base64().size() == 44);
    CHECK_FALSE(key->public_key().is_zero());
    CHECK(seen.insert(key->public_key()).second);
    auto again = WgPrivateKey::from_base64(key->to_base64().reveal());
    REQUIRE(again.ok());
    CHECK(again->public_key() == key->public_key());
  }
}

TEST_CASE("x25519 matches RFC 7748", "[unit]") {
  // §5.2, first vector.
  auto out =
      x25519(priv_from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
             pub_from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  REQUIRE(out.ok());
  CHECK(hex_encode(out->span()) ==
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  // §6.1 Diffie-Hellman: public keys and the shared secret in both directions.
  WgPrivateKey alice =
      priv_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  WgPrivateKey bob =
      priv_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  CHECK(alice.public_key().to_hex() ==
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK(bob.public_key().to_hex() ==
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto ab = x25519(alice, bob.public_key());
  auto ba = x25519(bob, alice.public_key());
  REQUIRE(ab.ok());
  REQUIRE(ba.ok());
  CHECK(hex_encode(ab->span()) ==
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  CHECK(*ab == *ba);
}

TEST_CASE("x25519 refuses low-order peer points", "[unit]") {
  auto key = WgPrivateKey::generate();
  REQUIRE(key.ok());
  // u = 0, u = 1, and a point of order 8 (from the libsodium / WireGuard blacklist).
  for (std::string_view h : {"0000000000000000000000000000000000000000000000000000000000000000",
                             "0100000000000000000000000000000000000000000000000000000000000000",
                             "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"}) {
    INFO(h);
    auto r = x25519(*key, pub_from_hex(h));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    CHECK(r.error().message().find("low-order") != std::string::npos);
  }
}

TEST_CASE("malformed keys are refused; private key text is never quoted", "[unit]") {
  const char* bad_inputs[] = {
      "",
      "cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTV0",    // missing '='
      "cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTV0==",  // 45 chars
      "cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTV1=",   // non-canonical last char
      "cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5Ly!V0=",   // bad character
      " cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTV0=",  // whitespace
      "cFTAxrxpWUwKIx1mXqNa3CBCtKpIgZHX7gw3J5LyTQ==",   // 31 bytes
  };
  for (const char* in : bad_inputs) {
    INFO(in);
    auto priv = WgPrivateKey::from_base64(in);
    REQUIRE_FALSE(priv.ok());
    CHECK(priv.error().code() == ErrorCode::kInvalidArgument);
    if (std::string_view(in).size() > 8) {
      CHECK(priv.error().message().find(std::string_view(in).substr(0, 8)) == std::string::npos);
    }
    auto pub = WgPublicKey::from_base64(in);
    REQUIRE_FALSE(pub.ok());
    CHECK(pub.error().code() == ErrorCode::kInvalidArgument);
  }
  // Public keys are not secret: their errors quote the input to help the operator.
  CHECK(WgPublicKey::from_base64("nope").error().message().find("\"nope\"") != std::string::npos);

  CHECK_FALSE(WgPrivateKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").ok());
  CHECK_FALSE(WgPrivateKey::from_hex(std::string(63, 'a')).ok());
  CHECK_FALSE(WgPrivateKey::from_hex(std::string(64, 'g')).ok());
  CHECK_FALSE(WgPublicKey::from_hex(std::string(66, 'a')).ok());
  CHECK_FALSE(WgPublicKey::from_bytes(std::vector<std::uint8_t>(31, 1)).ok());
  CHECK_FALSE(WgPrivateKey::from_bytes(std::vector<std::uint8_t>(33, 1)).ok());
}

TEST_CASE("WgPrivateKey copies stay valid and moves empty the source", "[unit]") {
  auto key = WgPrivateKey::from_base64(kWgPairs[0].private_b64);
  REQUIRE(key.ok());
  WgPrivateKey copy = *key;
  WgPrivateKey moved = std::move(copy);
  CHECK(copy.public_key().is_zero());  // NOLINT(bugprone-use-after-move): documented state
  CHECK(copy.to_bytes().span().size() == kWgKeySize);
  SecretBytes wiped = copy.to_bytes();
  CHECK(std::all_of(wiped.span().begin(), wiped.span().end(), [](auto b) { return b == 0; }));
  CHECK(moved.public_key().to_base64() == kWgPairs[0].public_b64);
  copy = moved;
  CHECK(copy.to_base64().reveal() == kWgPairs[0].private_b64);
  auto peer = WgPrivateKey::generate();
  REQUIRE(peer.ok());
  auto s1 = x25519(copy, peer->public_key());
  auto s2 = x25519(*peer, key->public_key());
  REQUIRE(s1.ok());
  REQUIRE(s2.ok());
  CHECK(*s1 == *s2);
  WgPrivateKey moved_again(std::move(copy));
  CHECK(x25519(moved_again, peer->public_key()).ok());
  // Misuse of a moved-from key is reported, not undefined.
  CHECK(x25519(copy, peer->public_key()).error().code() == ErrorCode::kInternal);
}

TEST_CASE("public keys order, compare and hash as values", "[unit]") {
  auto a = WgPublicKey::from_base64(kWgPairs[0].public_b64).value();
  auto b = WgPublicKey::from_base64(kWgPairs[1].public_b64).value();
  CHECK(a != b);
  CHECK((a < b) != (b < a));
  CHECK(a == WgPublicKey(a.bytes()));
  CHECK(std::hash<WgPublicKey>{}(a) == std::hash<WgPublicKey>{}(WgPublicKey(a.bytes())));
  CHECK(WgPublicKey().is_zero());
}

}  // namespace
}  // namespace ward::crypto
