#include "common/base/result.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace ward {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error::invalid_argument("expected a digit, got " + quote({&c, 1}));
  return c - '0';
}

Result<int> sum_two(char a, char b) {
  WARD_ASSIGN_OR_RETURN(int x, parse_digit(a));
  WARD_ASSIGN_OR_RETURN(int y, parse_digit(b));
  return x + y;
}

Status check_positive(int v) {
  if (v <= 0) return Error::invalid_argument("not positive");
  return ok();
}

Status check_both(int a, int b) {
  WARD_RETURN_IF_ERROR(check_positive(a));
  WARD_RETURN_IF_ERROR(check_positive(b));
  return ok();
}

TEST_CASE("Result carries a value or an error", "[unit]") {
  auto good = parse_digit('7');
  REQUIRE(good.ok());
  CHECK(*good == 7);
  auto bad = parse_digit('x');
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  CHECK(bad.error().message() == "expected a digit, got \"x\"");
  CHECK(bad.value_or(-1) == -1);
}

TEST_CASE("WARD_ASSIGN_OR_RETURN propagates the first error", "[unit]") {
  CHECK(*sum_two('3', '4') == 7);
  auto r = sum_two('3', '?');
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == "expected a digit, got \"?\"");
}

TEST_CASE("Status and WARD_RETURN_IF_ERROR", "[unit]") {
  CHECK(check_both(1, 2).ok());
  auto s = check_both(1, 0);
  REQUIRE_FALSE(s);
  CHECK(s.error().to_string() == "invalid_argument: not positive");
}

TEST_CASE("Result holds move-only types", "[unit]") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  REQUIRE(r);
  std::unique_ptr<int> p = std::move(r).value();
  CHECK(*p == 5);
}

TEST_CASE("Error context keeps the code", "[unit]") {
  Error e = Error::not_found("device \"x\"").context("approve");
  CHECK(e.code() == ErrorCode::kNotFound);
  CHECK(e.message() == "approve: device \"x\"");
  CHECK(Error::from_errno("open /nope", 2).to_string() == "io: open /nope: No such file or directory");
}

TEST_CASE("quote escapes and bounds untrusted input", "[unit]") {
  CHECK(quote("abc") == "\"abc\"");
  CHECK(quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quote(std::string("\n\x01\xff", 3)) == "\"\\x0a\\x01\\xff\"");
  CHECK(quote(std::string(100, 'a'), 4) == "\"aaaa\"...");
}

TEST_CASE("error_code_name is stable", "[unit]") {
  CHECK(error_code_name(ErrorCode::kInvalidArgument) == "invalid_argument");
  CHECK(error_code_name(ErrorCode::kPermissionDenied) == "permission_denied");
  CHECK(error_code_name(ErrorCode::kUnauthenticated) == "unauthenticated");
  CHECK(error_code_name(ErrorCode::kCorruption) == "corruption");
}

}  // namespace
}  // namespace ward
