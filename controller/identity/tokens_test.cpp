#include "controller/identity/tokens.hpp"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"

namespace ward::identity {
namespace {

TEST_CASE("tokens: generated tokens carry their prefix and 256 random bits", "[unit]") {
  std::set<std::string> seen;
  for (TokenKind kind : {TokenKind::kEnrollmentKey, TokenKind::kSession, TokenKind::kBootstrap}) {
    for (int i = 0; i < 20; ++i) {
      auto t = generate_token(kind);
      REQUIRE(t.ok());
      std::string_view s = t->reveal();
      CHECK(s.size() == kTokenLength);
      CHECK(s.substr(0, 4) == token_prefix(kind));
      CHECK(check_token_format(kind, s).ok());
      CHECK(crypto::base64url_decode(s.substr(4)).value().size() == 32);
      seen.emplace(s);
    }
  }
  CHECK(seen.size() == 60);
  CHECK(token_prefix(TokenKind::kEnrollmentKey) == "wek_");
  CHECK(token_prefix(TokenKind::kSession) == "wst_");
  CHECK(token_prefix(TokenKind::kBootstrap) == "wbt_");
}

TEST_CASE("tokens: the format check refuses other kinds and malformed text", "[unit]") {
  std::string key(generate_token(TokenKind::kEnrollmentKey).value().reveal());
  CHECK_FALSE(check_token_format(TokenKind::kSession, key).ok());
  CHECK_FALSE(check_token_format(TokenKind::kEnrollmentKey, key.substr(0, 46)).ok());
  CHECK_FALSE(check_token_format(TokenKind::kEnrollmentKey, key + "A").ok());
  std::string bad = key;
  bad[10] = '+';
  Status s = check_token_format(TokenKind::kEnrollmentKey, bad);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kUnauthenticated);
  CHECK(s.error().message() == "malformed enrollment key");  // never echoes the token
}

TEST_CASE("tokens: stored as SHA-256 and matched in constant time", "[unit]") {
  // SHA-256("abc") known answer.
  CHECK(crypto::hex_encode(token_hash("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string t(generate_token(TokenKind::kSession).value().reveal());
  store::Bytes h = token_hash(t);
  CHECK(h.size() == 32);
  CHECK(token_matches(t, h));
  std::string other = t;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(token_matches(other, h));
  CHECK_FALSE(token_matches(t, store::Bytes(31, 0)));
}

}  // namespace
}  // namespace ward::identity
