#include "common/json/parse.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "common/json/path.hpp"

namespace {

using ward::json::parse;
using ward::json::ParseLimits;

std::string error_of(std::string_view text, const ParseLimits& limits = {}) {
  auto r = parse(text, limits);
  INFO(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kInvalidArgument);
  return r.error().message();
}

}  // namespace

TEST_CASE("parse accepts valid JSON and keeps number kinds", "[unit]") {
  auto r = parse(R"({"a": [1, -2, 3.5, "x", true, null, {}], "b": {"c": 18446744073709551615}})");
  REQUIRE(r);
  const auto& j = *r;
  CHECK(j["a"][0].is_number_unsigned());
  CHECK(j["a"][1].is_number_integer());
  CHECK(j["a"][1].get<int>() == -2);
  CHECK(j["a"][2].is_number_float());
  CHECK(j["a"][3] == "x");
  CHECK(j["a"][4] == true);
  CHECK(j["a"][5].is_null());
  CHECK(j["a"][6].is_object());
  CHECK(j["b"]["c"].get<std::uint64_t>() == 18446744073709551615ull);
  CHECK(parse("  42 \n")->get<int>() == 42);
  CHECK(parse("\"\\u00e9\"")->get<std::string>() == "\xc3\xa9");
  CHECK(parse("18446744073709551616")->is_number_float());  // beyond 64 bits
}

TEST_CASE("parse syntax errors name line and column and never echo input", "[unit]") {
  CHECK(error_of("tru") ==
        "invalid JSON at line 1, column 4: syntax error while parsing value - invalid literal");
  CHECK(error_of("{\"a\":1,}") ==
        "invalid JSON at line 1, column 8: syntax error while parsing object key - unexpected "
        "'}'; expected string literal");
  CHECK(error_of("{\n\"a\": [1,\n 2 x]}") ==
        "invalid JSON at line 3, column 4: syntax error while parsing array - invalid literal; "
        "expected ']'");
  CHECK(error_of("") ==
        "invalid JSON at line 1, column 1: syntax error while parsing value - unexpected end of "
        "input; expected '[', '{', or a literal");
  CHECK(error_of("[1] 2") ==
        "invalid JSON at line 1, column 5: syntax error while parsing value - unexpected number "
        "literal; expected end of input");
  CHECK(error_of("\"abc\ndef\"") ==
        "invalid JSON at line 1, column 5: syntax error while parsing value - invalid string: "
        "control character U+000A (LF) must be escaped to \\u000A or \\n");
  CHECK(error_of("\"\xff\"") ==
        "invalid JSON at line 1, column 2: syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte");
  CHECK(error_of("1e400") == "invalid JSON at line 1, column 5: number is out of range");
  // A secret inside a malformed document does not reach the message.
  const std::string msg = error_of(R"({"password": "hunter2\q"})");
  CHECK(msg.find("hunter2") == std::string::npos);
  CHECK(msg.rfind("invalid JSON at line 1, column 23: ", 0) == 0);
  CHECK(error_of("{\"a\" 1}") ==
        "invalid JSON at line 1, column 6: syntax error while parsing object separator - "
        "unexpected number literal; expected ':'");
  CHECK_FALSE(parse("// comment\n1"));
  CHECK_FALSE(parse("[1,]"));
  CHECK_FALSE(parse("NaN"));
  CHECK_FALSE(parse("'a'"));
}

TEST_CASE("parse refuses duplicate keys with their path", "[unit]") {
  CHECK(error_of(R"({"a": 1, "a": 2})") == "invalid JSON: duplicate key \"a\" in the object at $");
  CHECK(error_of(R"({"device": {"name": "x", "name": "y"}})") ==
        "invalid JSON: duplicate key \"name\" in the object at $.device");
  CHECK(error_of(R"({"peers": [{}, {"k": 1, "k": 1}]})") ==
        "invalid JSON: duplicate key \"k\" in the object at $.peers[1]");
  CHECK(error_of(R"({"odd key": {"\n": 1, "\n": 2}})") ==
        "invalid JSON: duplicate key \"\\x0a\" in the object at $[\"odd key\"]");
  // Same key in different objects is fine.
  CHECK(parse(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})"));
}

TEST_CASE("parse enforces size and depth limits", "[unit]") {
  ParseLimits small;
  small.max_bytes = 10;
  CHECK(parse("[1,2,3,4]", small));   // 9 bytes
  CHECK(parse("[1,2,3,45]", small));  // 10 bytes
  CHECK(error_of("[1,2,3,456]", small) == "JSON document is 11 bytes; the limit is 10");
  CHECK(error_of(std::string((1u << 20) + 1, ' ')) ==
        "JSON document is 1048577 bytes; the limit is 1048576");

  auto nested = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']');
  };
  CHECK(parse(nested(64)));
  CHECK(error_of(nested(65)).rfind("invalid JSON: nesting deeper than 64 levels at $[0][0]", 0) ==
        0);
  ParseLimits shallow;
  shallow.max_depth = 2;
  CHECK(parse(R"({"a": {"b": 1}})", shallow));
  CHECK(error_of(R"({"a": {"b": [1]}})", shallow) ==
        "invalid JSON: nesting deeper than 2 levels at $.a.b");
  CHECK(error_of(R"([{"x": 1}, [[]]])", shallow) ==
        "invalid JSON: nesting deeper than 2 levels at $[1][0]");
  ParseLimits scalars;
  scalars.max_depth = 0;
  CHECK(parse("1", scalars));
  CHECK(error_of("{}", scalars) == "invalid JSON: nesting deeper than 0 levels at $");
  // A hostile document far deeper than the limit fails cleanly (no recursion blow-up).
  CHECK_FALSE(parse(nested(500000)));
}

TEST_CASE("JSON paths quote odd keys", "[unit]") {
  using ward::json::path_index;
  using ward::json::path_key;
  CHECK(path_key("$", "device") == "$.device");
  CHECK(path_key("$.a", "b_c-1") == "$.a.b_c-1");
  CHECK(path_key("$", "1abc") == "$[\"1abc\"]");
  CHECK(path_key("$", "") == "$[\"\"]");
  CHECK(path_key("$", "a.b") == "$[\"a.b\"]");
  CHECK(path_key("$", "\x1b[31m") == "$[\"\\x1b[31m\"]");
  CHECK(path_index("$.peers", 3) == "$.peers[3]");
}
