#include "common/crypto/hash.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"

namespace ward::crypto {
namespace {

std::string hex(std::span<const std::uint8_t> b) {
  return hex_encode(b);
}

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::string hmac_hex(HashAlg alg, const std::vector<std::uint8_t>& key, std::string_view data) {
  auto mac = hmac(alg, key, data);
  REQUIRE(mac.ok());
  REQUIRE(mac->size() == digest_size(alg));
  return hex(*mac);
}

TEST_CASE("sha256 matches the FIPS 180-2 examples", "[unit]") {
  CHECK(hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(sha256(std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("incremental Sha256 equals one-shot and resets after finish", "[unit]") {
  Sha256 h;
  // One million 'a' in uneven pieces.
  std::string chunk(997, 'a');
  std::size_t left = 1000000;
  while (left > 0) {
    std::size_t n = std::min(left, chunk.size());
    h.update(std::string_view(chunk).substr(0, n));
    left -= n;
  }
  CHECK(hex(h.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(hex(h.update("a").update("bc").finish()) == hex(sha256("abc")));
  CHECK(hex(h.finish()) == hex(sha256("")));
  Sha256 moved = std::move(h);
  CHECK(hex(moved.update(bytes("abc")).finish()) == hex(sha256("abc")));
}

TEST_CASE("HMAC-SHA256 matches RFC 4231", "[unit]") {
  // Test cases 1, 2, 3, 6 and 7.
  CHECK(hmac_hex(HashAlg::kSha256, std::vector<std::uint8_t>(20, 0x0b), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hmac_hex(HashAlg::kSha256, bytes("Jefe"), "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(hmac_hex(HashAlg::kSha256, std::vector<std::uint8_t>(20, 0xaa), std::string(50, '\xdd')) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  CHECK(hmac_hex(HashAlg::kSha256, std::vector<std::uint8_t>(131, 0xaa),
                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hmac_hex(HashAlg::kSha256, std::vector<std::uint8_t>(131, 0xaa),
                 "This is a test using a larger than block-size key and a larger than "
                 "block-size data. The key needs to be hashed before being used by the HMAC "
                 "algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("HMAC-SHA1 matches RFC 2202", "[unit]") {
  CHECK(hmac_hex(HashAlg::kSha1, std::vector<std::uint8_t>(20, 0x0b), "Hi There") ==
        "b617318655057264e28bc0b6fb378c8ef146be00");
  CHECK(hmac_hex(HashAlg::kSha1, bytes("Jefe"), "what do ya want for nothing?") ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(hmac_hex(HashAlg::kSha1, std::vector<std::uint8_t>(20, 0xaa), std::string(50, '\xdd')) ==
        "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  CHECK(hmac_hex(HashAlg::kSha1, std::vector<std::uint8_t>(80, 0xaa),
                 "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST_CASE("HMAC accepts an empty key and empty data", "[unit]") {
  CHECK(hmac_hex(HashAlg::kSha256, {}, "") ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  CHECK(hmac_hex(HashAlg::kSha1, {}, "") == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d");
}

TEST_CASE("HMAC-SHA1 drives RFC 6238 TOTP (SHA-1 column of Appendix B)", "[unit]") {
  const std::vector<std::uint8_t> key = bytes("12345678901234567890");
  auto totp = [&](std::uint64_t unix_time) {
    std::uint64_t counter = unix_time / 30;
    std::array<std::uint8_t, 8> msg{};
    for (int i = 7; i >= 0; --i, counter >>= 8)
      msg[i] = counter & 0xff;
    auto mac = hmac(HashAlg::kSha1, key, msg);
    REQUIRE(mac.ok());
    const int off = (*mac)[19] & 0x0f;
    const std::uint32_t bin = ((*mac)[off] & 0x7fu) << 24 | (*mac)[off + 1] << 16 |
                              (*mac)[off + 2] << 8 | (*mac)[off + 3];
    return bin % 100000000;
  };
  CHECK(totp(59) == 94287082);
  CHECK(totp(1111111109) == 7081804);
  CHECK(totp(1234567890) == 89005924);
  CHECK(totp(20000000000) == 65353130);
}

}  // namespace
}  // namespace ward::crypto
