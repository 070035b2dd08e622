#include "common/crypto/random.hpp"

#include <array>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"

namespace ward::crypto {
namespace {

TEST_CASE("random_bytes fills the buffer with varying data", "[unit]") {
  std::array<std::uint8_t, 64> a{};
  std::array<std::uint8_t, 64> b{};
  REQUIRE(random_bytes(a).ok());
  REQUIRE(random_bytes(b).ok());
  CHECK(a != b);
  // All 64 bytes zero has probability 2^-512; a buffer left untouched would be.
  CHECK(std::any_of(a.begin(), a.end(), [](std::uint8_t x) { return x != 0; }));
  // Every byte position gets written: over 64 draws, no position stays zero throughout.
  std::array<std::uint8_t, 64> ored{};
  for (int i = 0; i < 64; ++i) {
    REQUIRE(random_bytes(a).ok());
    for (std::size_t j = 0; j < a.size(); ++j)
      ored[j] |= a[j];
  }
  CHECK(std::all_of(ored.begin(), ored.end(), [](std::uint8_t x) { return x != 0; }));
  CHECK(random_bytes(std::span<std::uint8_t>()).ok());
}

TEST_CASE("random_bytes handles buffers larger than one chunk", "[unit]") {
  std::vector<std::uint8_t> big((1 << 20) * 2 + 17, 0);
  REQUIRE(random_bytes(big).ok());
  // The tail after the last full chunk is written too.
  CHECK(std::any_of(big.end() - 17, big.end(), [](std::uint8_t x) { return x != 0; }));
}

TEST_CASE("random_secret returns n fresh bytes", "[unit]") {
  auto a = random_secret(32);
  auto b = random_secret(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK_FALSE(*a == *b);
  auto empty = random_secret(0);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("random_token is unpadded base64url of the requested entropy", "[unit]") {
  std::set<std::string> seen;
  for (int i = 0; i < 32; ++i) {
    auto t = random_token(32);
    REQUIRE(t.ok());
    CHECK(t->size() == 43);
    CHECK(
        t->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
    auto raw = base64url_decode(*t);
    REQUIRE(raw.ok());
    CHECK(raw->size() == 32);
    CHECK(seen.insert(*t).second);
  }
  CHECK(random_token(16).value().size() == 22);
  CHECK(random_token(15).error().code() == ErrorCode::kInvalidArgument);
  CHECK(random_token(1025).error().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ward::crypto
