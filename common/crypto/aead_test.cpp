#include "common/crypto/aead.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"
#include "common/crypto/random.hpp"

namespace ward::crypto {
namespace {

SecretBytes key_from_hex(std::string_view h) {
  auto k = hex_decode_secret(h);
  REQUIRE(k.ok());
  return *k;
}

std::string unhex(std::string_view h) {
  auto b = hex_decode(h);
  REQUIRE(b.ok());
  return std::string(b->begin(), b->end());
}

std::string as_string(const SecretBytes& b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

SecretBytes fresh_key() {
  auto k = random_secret(kAeadKeySize);
  REQUIRE(k.ok());
  return *k;
}

TEST_CASE("AES-256-GCM matches the GCM specification test cases 13, 14 and 16", "[unit]") {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases for AES-256 with a
  // 96-bit IV (also in NIST's gcmEncryptExtIV256 vectors).
  struct Vector {
    const char* key;
    const char* iv;
    const char* plaintext;
    const char* aad;
    const char* ct_and_tag;
  };
  const Vector vectors[] = {
      {"0000000000000000000000000000000000000000000000000000000000000000",
       "000000000000000000000000", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
      {"0000000000000000000000000000000000000000000000000000000000000000",
       "000000000000000000000000", "00000000000000000000000000000000", "",
       "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
      {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888",
       "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
       "49a6b525b16aedf5aa0de657ba637b39",
       "feedfacedeadbeeffeedfacedeadbeefabaddad2",
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
       "56828838c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b"},
  };
  for (const Vector& v : vectors) {
    SecretBytes key = key_from_hex(v.key);
    auto iv_bytes = hex_decode(v.iv);
    REQUIRE(iv_bytes.ok());
    std::span<const std::uint8_t, kGcmNonceSize> iv(iv_bytes->data(), kGcmNonceSize);
    auto ct = aes_256_gcm_encrypt(key, iv, unhex(v.plaintext), unhex(v.aad));
    REQUIRE(ct.ok());
    CHECK(hex_encode(*ct) == v.ct_and_tag);
    auto pt = aes_256_gcm_decrypt(key, iv, unhex(v.ct_and_tag), unhex(v.aad));
    REQUIRE(pt.ok());
    CHECK(hex_encode(pt->span()) == v.plaintext);

    std::string bad = unhex(v.ct_and_tag);
    bad.back() ^= 0x80;
    CHECK(aes_256_gcm_decrypt(key, iv, bad, unhex(v.aad)).error().code() == ErrorCode::kCorruption);
  }
}

TEST_CASE("seal and open round-trip with the documented layout", "[unit]") {
  SecretBytes key = fresh_key();
  for (std::string_view plaintext :
       {std::string_view(""), std::string_view("x"), std::string_view("JBSWY3DPEHPK3PXP")}) {
    auto blob = seal(key, plaintext, "totp:user-42");
    REQUIRE(blob.ok());
    CHECK(blob->size() == plaintext.size() + kSealOverhead);
    CHECK(static_cast<std::uint8_t>((*blob)[0]) == kSealVersion);
    auto opened = open(key, *blob, "totp:user-42");
    REQUIRE(opened.ok());
    CHECK(as_string(*opened) == plaintext);
  }
  // Random nonces: sealing twice gives different blobs.
  auto a = seal(key, "same", "ad");
  auto b = seal(key, "same", "ad");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(a->substr(1, kGcmNonceSize) != b->substr(1, kGcmNonceSize));
  // A large secret.
  std::string big(1 << 20, 'k');
  auto big_blob = seal(key, big, "");
  REQUIRE(big_blob.ok());
  auto big_open = open(key, *big_blob, "");
  REQUIRE(big_open.ok());
  CHECK(as_string(*big_open) == big);
}

TEST_CASE("open detects every single-byte tamper", "[unit]") {
  SecretBytes key = fresh_key();
  auto blob = seal(key, "-----BEGIN PRIVATE KEY----- ca key -----END PRIVATE KEY-----", "ca");
  REQUIRE(blob.ok());
  for (std::size_t i = 0; i < blob->size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string tampered = *blob;
      tampered[i] = static_cast<char>(tampered[i] ^ mask);
      auto r = open(key, tampered, "ca");
      INFO("byte " << i << " mask " << int(mask));
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code() == ErrorCode::kCorruption);
    }
  }
}

TEST_CASE("open refuses wrong key, wrong associated data and truncation", "[unit]") {
  SecretBytes key = fresh_key();
  auto blob = seal(key, "seed", "totp:user-1");
  REQUIRE(blob.ok());
  CHECK(open(fresh_key(), *blob, "totp:user-1").error().code() == ErrorCode::kCorruption);
  CHECK(open(key, *blob, "totp:user-2").error().code() == ErrorCode::kCorruption);
  CHECK(open(key, *blob, "").error().code() == ErrorCode::kCorruption);
  for (std::size_t n = 0; n < blob->size(); ++n) {
    INFO("truncated to " << n);
    CHECK(open(key, blob->substr(0, n), "totp:user-1").error().code() == ErrorCode::kCorruption);
  }
  CHECK(open(key, *blob + "x", "totp:user-1").error().code() == ErrorCode::kCorruption);
  // The associated data is bound exactly, not as a prefix.
  auto empty_ad = seal(key, "seed", "");
  REQUIRE(empty_ad.ok());
  CHECK(open(key, *empty_ad, "x").error().code() == ErrorCode::kCorruption);
}

TEST_CASE("seal and open refuse keys that are not 32 bytes", "[unit]") {
  for (std::size_t n : {0, 16, 31, 33}) {
    SecretBytes key(n);
    CHECK(seal(key, "x", "").error().code() == ErrorCode::kInvalidArgument);
    CHECK(open(key, std::string(40, 'x'), "").error().code() == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ward::crypto
