#include "common/base/secret.hpp"

#include <catch2/catch.hpp>
#include <type_traits>

namespace ward {
namespace {

template <class T>
concept Streamable = requires(std::ostream& os, const T& t) { os << t; };

TEST_CASE("secrets cannot be streamed or converted to strings", "[unit]") {
  STATIC_REQUIRE_FALSE(Streamable<SecretString>);
  STATIC_REQUIRE_FALSE(Streamable<SecretBytes>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<SecretString, std::string>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<SecretString, std::string_view>);
}

TEST_CASE("ct_equal compares by content and length", "[unit]") {
  CHECK(ct_equal(std::string_view("abc"), std::string_view("abc")));
  CHECK_FALSE(ct_equal(std::string_view("abc"), std::string_view("abd")));
  CHECK_FALSE(ct_equal(std::string_view("abc"), std::string_view("abcd")));
  CHECK(ct_equal(std::string_view(""), std::string_view("")));
  CHECK(SecretString("token") == SecretString("token"));
  CHECK_FALSE(SecretString("token") == SecretString("tokeN"));
}

TEST_CASE("moving a secret empties the source", "[unit]") {
  SecretString a("correct horse battery staple");
  SecretString b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  CHECK(b.reveal() == "correct horse battery staple");
  SecretBytes x(std::vector<std::uint8_t>{1, 2, 3});
  SecretBytes y;
  y = std::move(x);
  CHECK(x.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(y.size() == 3);
}

TEST_CASE("clear wipes the buffer before releasing it", "[unit]") {
  SecretBytes s(std::vector<std::uint8_t>{0xaa, 0xbb, 0xcc, 0xdd});
  const std::uint8_t* p = s.data();
  s.clear();
  CHECK(s.empty());
  // clear() keeps the allocation (vector::clear does not free), so the old bytes are
  // still ours to inspect: they must be zero.
  for (int i = 0; i < 4; ++i) CHECK(p[i] == 0);
}

}  // namespace
}  // namespace ward
