#include "node/wg/cookie.hpp"

#include <vector>

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

std::vector<std::uint8_t> fake_initiation(std::uint8_t fill) {
  std::vector<std::uint8_t> m(kInitiationLen, fill);
  m[0] = 1;
  m[1] = m[2] = m[3] = 0;
  return m;
}

struct Fixture {
  StaticIdentity responder{generate_private_key()};
  CookieChecker checker;
  CookieMaker maker;  // the initiator's maker for the responder
  Endpoint src = Endpoint::v4({192, 0, 2, 1}, 51820);
  Fixture() {
    checker.init(responder.public_key());
    maker.init(responder.public_key());
  }
};

TEST_CASE("mac1 is always checked", "[unit]") {
  Fixture f;
  auto m = fake_initiation(7);
  CHECK(f.checker.validate(m, f.src, false, 0) == MacState::kInvalidMac);
  f.maker.add_macs(m, 0);
  CHECK(f.checker.validate(m, f.src, false, 0) == MacState::kValidMacNoCookie);
  // Any bit of the covered part flips the verdict.
  auto bad = m;
  bad[50] ^= 1;
  CHECK(f.checker.validate(bad, f.src, false, 0) == MacState::kInvalidMac);
  // mac1 for another responder's key is invalid here.
  CookieMaker other;
  other.init(StaticIdentity{generate_private_key()}.public_key());
  auto m2 = fake_initiation(7);
  other.add_macs(m2, 0);
  CHECK(f.checker.validate(m2, f.src, false, 0) == MacState::kInvalidMac);
  // Wrong lengths are never valid.
  std::vector<std::uint8_t> short_msg(kInitiationLen - 1, 0);
  CHECK(f.checker.validate(short_msg, f.src, false, 0) == MacState::kInvalidMac);
}

TEST_CASE("cookie round trip: under load, mac2 needs the cookie from a reply", "[unit]") {
  Fixture f;
  auto m = fake_initiation(1);
  f.maker.add_macs(m, 0);
  // Under load, no cookie yet: mac1 valid but no cookie -> the responder replies.
  REQUIRE(f.checker.validate(m, f.src, true, 0) == MacState::kValidMacNoCookie);
  CookieReply reply = f.checker.create_reply(m, 1234, f.src, 0);
  CHECK(reply.receiver == 1234);
  CHECK(f.maker.consume_reply(reply, kSecond));
  CHECK(f.maker.has_fresh_cookie(kSecond));
  // A replayed reply is refused (it answered a mac1 already used).
  CHECK_FALSE(f.maker.consume_reply(reply, kSecond));
  // Next message carries mac2 and passes under load.
  auto m2 = fake_initiation(2);
  f.maker.add_macs(m2, 2 * kSecond);
  CHECK(f.checker.validate(m2, f.src, true, 2 * kSecond) == MacState::kValidMacWithCookie);
  // The cookie is bound to the source address and port.
  CHECK(f.checker.validate(m2, Endpoint::v4({192, 0, 2, 2}, 51820), true, 2 * kSecond) ==
        MacState::kValidMacNoCookie);
  CHECK(f.checker.validate(m2, Endpoint::v4({192, 0, 2, 1}, 51821), true, 2 * kSecond) ==
        MacState::kValidMacNoCookie);
  // After the secret rotates (120 s) the old cookie no longer works.
  auto m3 = fake_initiation(3);
  f.maker.add_macs(m3, 3 * kSecond);
  CHECK(f.checker.validate(m3, f.src, true, 121 * kSecond) == MacState::kValidMacNoCookie);
  // And the initiator stops using a cookie older than 115 s.
  CHECK_FALSE(f.maker.has_fresh_cookie(kSecond + 115 * kSecond));
  auto m4 = fake_initiation(4);
  f.maker.add_macs(m4, kSecond + 116 * kSecond);
  for (std::size_t i = kInitiationMac2Offset; i < kInitiationLen; ++i)
    CHECK(m4[i] == 0);
}

TEST_CASE("cookie replies are bound to the mac1 they answer", "[unit]") {
  Fixture f;
  auto m = fake_initiation(1);
  f.maker.add_macs(m, 0);
  auto other = fake_initiation(9);
  CookieMaker sender2;
  sender2.init(f.responder.public_key());
  sender2.add_macs(other, 0);
  // A reply computed for a different message's mac1 does not decrypt.
  CookieReply reply = f.checker.create_reply(other, 1, f.src, 0);
  CHECK_FALSE(f.maker.consume_reply(reply, 0));
  CHECK(sender2.consume_reply(reply, 0));
  // A tampered reply is refused; so is one before any message was sent.
  CookieReply good = f.checker.create_reply(m, 1, f.src, 0);
  CookieReply bad = good;
  bad.nonce[3] ^= 1;
  CHECK_FALSE(f.maker.consume_reply(bad, 0));
  CHECK(f.maker.consume_reply(good, 0));
  CookieMaker fresh;
  fresh.init(f.responder.public_key());
  CHECK_FALSE(fresh.consume_reply(good, 0));
}

TEST_CASE("rate limiter: burst of 5, then 20 per second per source", "[unit]") {
  RateLimiter rl;
  auto a = Endpoint::v4({192, 0, 2, 1}, 1);
  auto b = Endpoint::v4({192, 0, 2, 2}, 1);
  Nanos now = 10 * kSecond;
  for (int i = 0; i < 5; ++i)
    CHECK(rl.allow(a, now));
  CHECK_FALSE(rl.allow(a, now));
  CHECK(rl.allow(b, now));  // independent per source
  // Ports do not matter (same source address).
  CHECK_FALSE(rl.allow(Endpoint::v4({192, 0, 2, 1}, 2), now));
  now += kSecond / 20;
  CHECK(rl.allow(a, now));
  CHECK_FALSE(rl.allow(a, now));
  // IPv6 sources share a bucket per /64.
  std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8};
  auto c = Endpoint::v6(v6, 1);
  v6[15] = 9;
  auto d = Endpoint::v6(v6, 1);
  for (int i = 0; i < 5; ++i)
    CHECK(rl.allow(c, now));
  CHECK_FALSE(rl.allow(d, now));
  // Idle entries are collected.
  CHECK(rl.size() == 3);
  CHECK(rl.allow(b, now + 3 * kSecond));
  CHECK(rl.size() == 1);
}

TEST_CASE("rate limiter denies new sources when its table is full", "[unit]") {
  RateLimiter rl(2);
  CHECK(rl.allow(Endpoint::v4({192, 0, 2, 1}, 1), 0));
  CHECK(rl.allow(Endpoint::v4({192, 0, 2, 2}, 1), 0));
  CHECK_FALSE(rl.allow(Endpoint::v4({192, 0, 2, 3}, 1), 0));
}

}  // namespace
}  // namespace ward::wg
