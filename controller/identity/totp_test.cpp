#include "controller/identity/totp.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace ward::identity {
namespace {

using namespace std::chrono_literals;

SecretBytes bytes_of(std::string_view s) {
  return SecretBytes(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

const SecretBytes kRfcSecret = bytes_of("12345678901234567890");

SysTime at(std::int64_t unix_seconds) {
  return SysTime(std::chrono::seconds(unix_seconds));
}  // ms precision: no overflow

std::string code_at(std::int64_t unix_seconds) {
  return std::string(hotp_code(kRfcSecret, totp_step(at(unix_seconds))).value().reveal());
}

TEST_CASE("totp: base32 matches RFC 4648 test vectors", "[unit]") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (auto [plain, enc] : vectors) {
    auto b = bytes_of(plain);
    CHECK(base32_encode(b.span()) == enc);
    auto d = base32_decode(enc);
    REQUIRE(d.ok());
    CHECK(*d == b);
  }
  CHECK(base32_encode(kRfcSecret.span()) == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  CHECK(base32_decode("mzxw6ytboi").value() == bytes_of("foobar"));
  CHECK(base32_decode("MZXW6YQ=").value() == bytes_of("foob"));
  CHECK_FALSE(base32_decode("MZXW6YQ1").ok());  // '1' is not base32
  CHECK_FALSE(base32_decode("MZX").ok());       // impossible length
  CHECK_FALSE(base32_decode("MZ XW").ok());
  CHECK_FALSE(base32_decode("MZ7").ok());  // 3 characters: impossible length
  CHECK_FALSE(base32_decode("MB").ok());   // non-zero unused bits (not canonical)
}

TEST_CASE("totp: HOTP matches RFC 4226 Appendix D", "[unit]") {
  const std::uint32_t expected[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
  for (int i = 0; i < 10; ++i)
    CHECK(hotp(kRfcSecret, i).value() == expected[i]);
}

TEST_CASE("totp: RFC 6238 Appendix B vectors (SHA-1), 8 digits and 6 digits", "[unit]") {
  struct V {
    std::int64_t t;
    std::uint32_t eight;
  };
  const V vectors[] = {{59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
                       {1234567890, 89005924}, {2000000000, 69279037}, {20000000000, 65353130}};
  for (const V& v : vectors) {
    INFO("T = " << v.t);
    std::int64_t step = totp_step(at(v.t));
    CHECK(hotp(kRfcSecret, step, 8).value() == v.eight);
    CHECK(hotp(kRfcSecret, step, 6).value() == v.eight % 1000000);
  }
  CHECK(code_at(1234567890) == "005924");  // zero-padded
  CHECK(code_at(1111111109) == "081804");
  CHECK(totp_step(at(59)) == 1);
  CHECK(totp_step(at(60)) == 2);
  CHECK(totp_step(at(1111111109) + 999ms) == 37037036);
}

TEST_CASE("totp: verify accepts +/-1 step and refuses replays", "[unit]") {
  const std::int64_t t = 1111111111;
  const std::int64_t step = totp_step(at(t));
  std::string now_code = code_at(t);
  SECTION("current step") {
    auto r = verify_totp(kRfcSecret, now_code, at(t), std::nullopt);
    REQUIRE(r.ok());
    CHECK(*r == step);
  }
  SECTION("previous and next step are accepted, two away is not") {
    std::string prev = std::string(hotp_code(kRfcSecret, step - 1).value().reveal());
    std::string next = std::string(hotp_code(kRfcSecret, step + 1).value().reveal());
    std::string far = std::string(hotp_code(kRfcSecret, step + 2).value().reveal());
    std::string old = std::string(hotp_code(kRfcSecret, step - 2).value().reveal());
    CHECK(verify_totp(kRfcSecret, prev, at(t), std::nullopt).value() == step - 1);
    CHECK(verify_totp(kRfcSecret, next, at(t), std::nullopt).value() == step + 1);
    CHECK_FALSE(verify_totp(kRfcSecret, far, at(t), std::nullopt).ok());
    CHECK_FALSE(verify_totp(kRfcSecret, old, at(t), std::nullopt).ok());
  }
  SECTION("a used step is refused, also for an older code in the window") {
    auto r = verify_totp(kRfcSecret, now_code, at(t), step);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kUnauthenticated);
    CHECK(r.error().message() == "TOTP code already used");
    std::string prev = std::string(hotp_code(kRfcSecret, step - 1).value().reveal());
    CHECK_FALSE(verify_totp(kRfcSecret, prev, at(t), step).ok());
    // The same code 30 s later is still within the window but already used.
    CHECK_FALSE(verify_totp(kRfcSecret, now_code, at(t + 30), step).ok());
    // A newer step is fine.
    std::string next = std::string(hotp_code(kRfcSecret, step + 1).value().reveal());
    CHECK(verify_totp(kRfcSecret, next, at(t + 30), step).value() == step + 1);
  }
  SECTION("malformed and wrong codes") {
    for (std::string_view bad : {"", "12345", "1234567", "12a456", " 05047", "050471\n"}) {
      auto r = verify_totp(kRfcSecret, bad, at(t), std::nullopt);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message() == "invalid TOTP code");
    }
    std::string wrong = now_code;
    wrong[5] = wrong[5] == '9' ? '0' : static_cast<char>(wrong[5] + 1);
    CHECK_FALSE(verify_totp(kRfcSecret, wrong, at(t), std::nullopt).ok());
    CHECK_FALSE(verify_totp(SecretBytes(), now_code, at(t), std::nullopt).ok());
  }
}

TEST_CASE("totp: secrets and the otpauth URI", "[unit]") {
  auto s = generate_totp_secret();
  REQUIRE(s.ok());
  CHECK(s->size() == kTotpSecretBytes);
  CHECK_FALSE(*s == generate_totp_secret().value());
  SecretString uri = otpauth_uri("Ward", "alice@example.org", kRfcSecret);
  CHECK(uri.reveal() ==
        "otpauth://totp/Ward:alice@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        "&issuer=Ward&algorithm=SHA1&digits=6&period=30");
  SecretString odd = otpauth_uri("St. Mary's", "a b&c@x.org", kRfcSecret);
  CHECK(odd.reveal().find("otpauth://totp/St.%20Mary%27s:a%20b%26c@x.org?secret=") == 0);
  CHECK(odd.reveal().find("&issuer=St.%20Mary%27s&") != std::string_view::npos);
}

}  // namespace
}  // namespace ward::identity
