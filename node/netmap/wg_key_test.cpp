#include "node/netmap/wg_key.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"
#include "node/netmap/netmap.hpp"

using namespace ward::node;

namespace {
constexpr const char* kB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr const char* kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
}  // namespace

TEST_CASE("WgKey base64 and hex known answers", "[unit]") {
  auto k = WgKey::from_base64(kB64);
  REQUIRE(k);
  for (std::size_t i = 0; i < 32; ++i)
    CHECK(k->bytes()[i] == i);
  CHECK(k->to_base64() == kB64);
  CHECK(k->to_hex() == kHexKey);
  auto h = WgKey::from_hex(kHexKey);
  REQUIRE(h);
  CHECK(*h == *k);
  auto upper = WgKey::from_hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  REQUIRE(upper);
  CHECK(*upper == *k);
  CHECK(WgKey().to_base64() == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  CHECK(WgKey().is_zero());
  CHECK_FALSE(k->is_zero());
}

TEST_CASE("WgKey rejects malformed input", "[unit]") {
  CHECK_FALSE(WgKey::from_base64(""));
  CHECK_FALSE(WgKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"));    // no pad
  CHECK_FALSE(WgKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="));  // long
  CHECK_FALSE(WgKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="));   // bits
  CHECK_FALSE(WgKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH-8="));   // url
  CHECK_FALSE(WgKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw\ndHh8="));
  CHECK_FALSE(WgKey::from_hex(std::string(63, 'a')));
  CHECK_FALSE(WgKey::from_hex(std::string(64, 'g')));
  auto e = WgKey::from_base64("short");
  REQUIRE_FALSE(e);
  CHECK(e.error().message().find("\"short\"") != std::string::npos);
}

TEST_CASE("secret hex/base64 decoding never echoes input", "[unit]") {
  auto s = secret_from_hex(kHexKey, 32);
  REQUIRE(s);
  CHECK(s->size() == 32);
  CHECK(s->data()[31] == 31);
  auto bad = secret_from_hex("zz" + std::string(kHexKey).substr(2), 32);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("zz") == std::string::npos);
  auto b = secret_from_base64(kB64, 32);
  REQUIRE(b);
  CHECK(b->data()[5] == 5);
  CHECK(ward::crypto::hex_encode(b->span()) == kHexKey);
}

TEST_CASE("Endpoint parse and print", "[unit]") {
  auto a = Endpoint::parse("192.0.2.10:51820");
  REQUIRE(a);
  CHECK(a->port == 51820);
  CHECK(a->to_string() == "192.0.2.10:51820");
  auto b = Endpoint::parse("[2001:db8::1]:1");
  REQUIRE(b);
  CHECK(b->ip.is_v6());
  CHECK(b->to_string() == "[2001:db8::1]:1");
  for (const char* bad : {"192.0.2.10", "192.0.2.10:0", "192.0.2.10:65536", "2001:db8::1:5",
                          "[192.0.2.1]:5", "host.example:51820", "192.0.2.10:+5", "192.0.2.10:05",
                          "[2001:db8::1]", "[2001:db8::1]5", ":5", ""}) {
    INFO(bad);
    CHECK_FALSE(Endpoint::parse(bad));
  }
}
