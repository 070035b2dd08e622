#include "controller/policy/hujson.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace ward::policy::hujson {
namespace {

std::string error_of(std::string_view text) {
  auto r = parse(text, "p.hujson");
  REQUIRE_FALSE(r.ok());
  return r.error().message();
}

TEST_CASE("hujson accepts comments and trailing commas", "[unit]") {
  auto r = parse(R"({
  // line comment
  "a": [1, 2, 3,], /* block
  comment */ "b": {"c": "d",},
})",
                 "p.hujson");
  REQUIRE(r.ok());
  const Value& root = r->root;
  REQUIRE(root.is_object());
  REQUIRE(root.members.size() == 2);
  REQUIRE(root.find("a")->items.size() == 3);
  CHECK(root.find("a")->items[2].text == "3");
  CHECK(root.find("b")->find("c")->text == "d");
  // Offsets point into the original text: "b" value starts on line 4.
  auto [line, col] = r->source.line_col(root.find("b")->offset);
  CHECK(line == 4);
  CHECK(col == 19);
}

TEST_CASE("hujson decodes strings strictly", "[unit]") {
  auto r = parse(R"(["\u00e9\ud83d\ude00\n\"\/", "plain"])", "p");
  REQUIRE(r.ok());
  CHECK(r->root.items[0].text == "\xC3\xA9\xF0\x9F\x98\x80\n\"/");
  CHECK(error_of("[\"\\x41\"]").find("p.hujson:1:3: invalid escape") == 0);
  CHECK(error_of("[\"\\ud83d\"]").find("lone UTF-16 surrogate") != std::string::npos);
  CHECK(error_of("[\"a\nb\"]") == "p.hujson:1:4: control character in string; expected it escaped");
  CHECK(error_of("[\"\xC0\xAF\"]") == "p.hujson:1:3: invalid UTF-8 in string");
  CHECK(error_of("[\"abc") == "p.hujson:1:2: unterminated string; expected '\"'");
}

TEST_CASE("hujson reports original line and column", "[unit]") {
  CHECK(error_of("{\n  \"a\": 1\n  \"b\": 2\n}") ==
        "p.hujson:3:3: expected ',' or '}', found \"\\\"\"");
  CHECK(error_of("{\n  // c\n  \"a\": [1 2]\n}") ==
        "p.hujson:3:11: expected ',' or ']', found \"2\"");
  CHECK(error_of("{\"a\": 1,\n \"a\": 2}") ==
        "p.hujson:2:2: duplicate key \"a\" (first at p.hujson:1:2)");
  CHECK(error_of("") == "p.hujson:1:1: empty document; expected a JSON object");
  CHECK(error_of("{} x") == "p.hujson:1:4: unexpected \"x\" after the top-level value");
  CHECK(error_of("{'a': 1}") == "p.hujson:1:2: expected a string key or '}', found \"'\"");
  CHECK(error_of("[01]") == "p.hujson:1:2: leading zeros are not allowed in numbers");
  CHECK(error_of("/* open") == "p.hujson:1:1: unterminated /* comment; expected */");
  CHECK(error_of("[tru]") == "p.hujson:1:2: expected a value, found \"t\"");
  CHECK(error_of("[1,,2]") == "p.hujson:1:4: expected a value, found \",\"");
}

TEST_CASE("hujson enforces size and depth limits", "[unit]") {
  std::string deep(kMaxDepth + 2, '[');
  CHECK(error_of(deep).find("nesting deeper than 64 levels") != std::string::npos);
  std::string ok_depth(kMaxDepth, '[');
  ok_depth += std::string(kMaxDepth, ']');
  CHECK(parse(ok_depth, "p").ok());
  std::string big(kMaxInputBytes + 1, ' ');
  auto r = parse(big, "p.hujson");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() == "p.hujson: input is 4194305 bytes; expected at most 4194304");
}

TEST_CASE("hujson tolerates a byte order mark", "[unit]") {
  auto r = parse("\xEF\xBB\xBF{\"a\": true}", "p");
  REQUIRE(r.ok());
  CHECK(r->root.find("a")->boolean);
}

}  // namespace
}  // namespace ward::policy::hujson
