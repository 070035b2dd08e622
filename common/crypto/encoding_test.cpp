#include "common/crypto/encoding.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace ward::crypto {
namespace {

std::string str(const std::vector<std::uint8_t>& b) {
  return {b.begin(), b.end()};
}

TEST_CASE("base64 matches the RFC 4648 §10 vectors both ways", "[unit]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, b64] : vectors) {
    CHECK(base64_encode(std::string_view(plain)) == b64);
    auto d = base64_decode(b64);
    REQUIRE(d.ok());
    CHECK(str(*d) == plain);
    auto s = base64_decode_secret(b64);
    REQUIRE(s.ok());
    CHECK(std::string(reinterpret_cast<const char*>(s->data()), s->size()) == plain);
  }
}

TEST_CASE("base64url has no padding and uses - and _", "[unit]") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"}, {"foob", "Zm9vYg"},
  };
  for (auto [plain, b64] : vectors) {
    CHECK(base64url_encode(std::string_view(plain)) == b64);
    auto d = base64url_decode(b64);
    REQUIRE(d.ok());
    CHECK(str(*d) == plain);
  }
  const std::vector<std::uint8_t> high = {0xfb, 0xff, 0xbf};
  CHECK(base64_encode(high) == "+/+/");
  CHECK(base64url_encode(high) == "-_-_");
  CHECK(base64url_decode("-_-_").value() == high);
  CHECK_FALSE(base64url_decode("+/+/").ok());
  CHECK_FALSE(base64_decode("-_-_").ok());
}

TEST_CASE("every byte value round-trips through every encoding", "[unit]") {
  std::vector<std::uint8_t> all(256);
  for (int i = 0; i < 256; ++i)
    all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t len = 0; len <= all.size(); len += 1 + len / 3) {
    std::span<const std::uint8_t> in(all.data(), len);
    std::vector<std::uint8_t> want(in.begin(), in.end());
    CHECK(base64_decode(base64_encode(in)).value() == want);
    CHECK(base64url_decode(base64url_encode(in)).value() == want);
    CHECK(hex_decode(hex_encode(in)).value() == want);
  }
}

TEST_CASE("base64 decoding is strict and canonical", "[unit]") {
  const char* bad[] = {
      "Zg",           // missing padding
      "Zg=",          // short padding
      "Zg===",        // too much
      "Z===",         // three '=' in a group
      "====",         // nothing but padding
      "Zm=v",         // padding in the middle
      "Zh==",         // non-zero unused bits (canonical is "Zg==")
      "Zm9=",         // non-zero unused bits (canonical is "Zm8=")
      "Zm9v\n",       // line break
      "Zm 9v",        // space
      "Zm9v!A==",     // character outside the alphabet
      "Zm9\xc3\xa9",  // non-ASCII
  };
  for (const char* in : bad) {
    INFO(in);
    auto r = base64_decode(in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  }
  CHECK_FALSE(base64url_decode("Zg==").ok());  // base64url takes no padding
  CHECK_FALSE(base64url_decode("Z").ok());     // impossible length
  CHECK_FALSE(base64url_decode("Zh").ok());    // non-canonical
}

TEST_CASE("decode errors quote public input but never secret input", "[unit]") {
  auto pub = base64_decode("c2VjcmV0!");
  REQUIRE_FALSE(pub.ok());
  CHECK(pub.error().message().find("\"c2VjcmV0!\"") != std::string::npos);
  // Long input is truncated in the quote.
  auto long_in = base64_decode(std::string(500, 'A') + "!");
  REQUIRE_FALSE(long_in.ok());
  CHECK(long_in.error().message().size() < 200);

  auto secret = base64_decode_secret("c2VjcmV0!A==");
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().message().find("c2Vj") == std::string::npos);
  CHECK(secret.error().message().find("offset 8") != std::string::npos);
  auto secret_hex = hex_decode_secret("deadbeefzz");
  REQUIRE_FALSE(secret_hex.ok());
  CHECK(secret_hex.error().message().find("dead") == std::string::npos);
  CHECK(secret_hex.error().message().find("offset 8") != std::string::npos);
  auto secret_url = base64url_decode_secret("c2VjcmV0=");
  REQUIRE_FALSE(secret_url.ok());
  CHECK(secret_url.error().message().find("c2Vj") == std::string::npos);
}

TEST_CASE("hex encodes lowercase and decodes either case", "[unit]") {
  const std::vector<std::uint8_t> b = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  CHECK(hex_encode(b) == "00017f80abff");
  CHECK(hex_decode("00017F80ABff").value() == b);
  CHECK(hex_decode("").value().empty());
  CHECK_FALSE(hex_decode("abc").ok());
  CHECK_FALSE(hex_decode("0g").ok());
  CHECK_FALSE(hex_decode("0x00").ok());
  CHECK_FALSE(hex_decode(" 00").ok());
  CHECK(hex_decode("zz").error().message().find("\"zz\"") != std::string::npos);
}

TEST_CASE("base64_decode_exact_secret demands the exact length", "[unit]") {
  std::array<std::uint8_t, 3> out{};
  CHECK(base64_decode_exact_secret("Zm9v", out).ok());
  CHECK(out == std::array<std::uint8_t, 3>{'f', 'o', 'o'});
  CHECK_FALSE(base64_decode_exact_secret("Zm8=", out).ok());
  CHECK_FALSE(base64_decode_exact_secret("Zm9vYg==", out).ok());
  CHECK(base64_decode_exact_secret("Zm9vYg==", out).error().message().find("expected 3") !=
        std::string::npos);
}

}  // namespace
}  // namespace ward::crypto
