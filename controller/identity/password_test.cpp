#include "controller/identity/password.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

namespace ward::identity {
namespace {

// Small parameters keep the many-case tests quick; one test uses the defaults.
PasswordParams fast() {
  PasswordParams p;
  p.m_cost_kib = 256;
  p.t_cost = 1;
  return p;
}

TEST_CASE("password: argon2id round trip with the default parameters", "[unit]") {
  SecretString pw(std::string("correct horse battery staple"));
  auto h = hash_password(pw);
  REQUIRE(h.ok());
  CHECK(h->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0) == 0);
  CHECK(h->find("correct") == std::string::npos);
  CHECK(verify_password(pw, *h).ok());
  Status wrong = verify_password(SecretString(std::string("correct horse battery stapler")), *h);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code() == ErrorCode::kUnauthenticated);
  CHECK_FALSE(needs_rehash(*h));
}

TEST_CASE("password: salts differ, wrong passwords fail, weak hashes need a rehash", "[unit]") {
  SecretString pw(std::string("a long enough pass"));
  auto a = hash_password(pw, fast());
  auto b = hash_password(pw, fast());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(verify_password(pw, *a).ok());
  CHECK(verify_password(pw, *b).ok());
  CHECK(verify_password(SecretString(std::string("A long enough pass")), *a).error().code() ==
        ErrorCode::kUnauthenticated);
  CHECK(verify_password(SecretString(std::string("")), *a).error().code() ==
        ErrorCode::kUnauthenticated);
  CHECK(needs_rehash(*a));
  CHECK_FALSE(needs_rehash(*a, fast()));
  verify_password_dummy(pw);  // must simply not crash or leak
}

TEST_CASE("password: the policy refuses short, huge and control-character passwords", "[unit]") {
  CHECK(check_password_policy(SecretString(std::string(12, 'x'))).ok());
  auto short_pw = hash_password(SecretString(std::string("short")), fast());
  REQUIRE_FALSE(short_pw.ok());
  CHECK(short_pw.error().code() == ErrorCode::kInvalidArgument);
  CHECK(short_pw.error().message().find("short") == std::string::npos);
  CHECK_FALSE(check_password_policy(SecretString(std::string(11, 'x'))).ok());
  CHECK_FALSE(check_password_policy(SecretString(std::string(kMaxPasswordLength + 1, 'x'))).ok());
  CHECK_FALSE(check_password_policy(SecretString(std::string("twelve chars\n!"))).ok());
  CHECK_FALSE(check_password_policy(SecretString(std::string("twelve\0chars!!", 14))).ok());
}

TEST_CASE("password: malformed or hostile stored hashes are refused", "[unit]") {
  SecretString pw(std::string("a long enough pass"));
  for (std::string_view bad : {
           "",
           "plaintext",
           "$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=16$m=256,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=256,t=100,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
           "$argon2id$v=19$m=256,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA",
       }) {
    INFO(bad);
    Status s = verify_password(pw, bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidArgument);
    CHECK(needs_rehash(bad));
  }
}

}  // namespace
}  // namespace ward::identity
