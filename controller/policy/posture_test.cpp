#include "controller/policy/posture.hpp"

#include <catch2/catch.hpp>

namespace ward::policy {
namespace {

bool holds(std::string_view cond, const PostureFacts& facts) {
  auto c = parse_posture_condition(cond);
  if (!c) FAIL(c.error().message());
  return condition_holds(*c, facts);
}

TEST_CASE("versions compare component by component", "[unit]") {
  CHECK(*compare_versions("13.2.1", "13.10") < 0);  // "13.2.1" > "13.10" is false
  CHECK(*compare_versions("13.10", "13.2.1") > 0);
  CHECK(*compare_versions("1.2", "1.2.0") == 0);
  CHECK(*compare_versions("v1.40.0", "1.39.9") > 0);
  CHECK(*compare_versions("14.2-beta1", "14.2") == 0);
  CHECK(*compare_versions("10", "9") > 0);
  CHECK_FALSE(compare_versions("abc", "1").has_value());
  CHECK_FALSE(compare_versions("1..2", "1").has_value());
  CHECK_FALSE(compare_versions("", "1").has_value());
}

TEST_CASE("posture operators", "[unit]") {
  PostureFacts f{{"node:os", "linux"},
                 {"node:osVersion", "13.2.1"},
                 {"disk:encrypted", "true"},
                 {"ward:version", "0.1.0"},
                 {"custom:score", "7"}};
  CHECK(holds("node:os == 'linux'", f));
  CHECK_FALSE(holds("node:os != 'linux'", f));
  CHECK(holds("node:os IN ['linux', 'macos']", f));
  CHECK_FALSE(holds("node:os NOT IN ['linux', 'macos']", f));
  CHECK(holds("node:os NOT IN ['windows']", f));
  CHECK(holds("disk:encrypted == true", f));
  CHECK_FALSE(holds("node:osVersion > '13.10'", f));
  CHECK(holds("node:osVersion < '13.10'", f));
  CHECK(holds("node:osVersion <= '13.2.1'", f));
  CHECK(holds("node:osVersion >= '13.2'", f));
  CHECK(holds("ward:version >= \"0.1\"", f));
  CHECK(holds("custom:score > 5", f));
  CHECK(holds("custom:score IS SET", f));
  CHECK(holds("custom:missing NOT SET", f));
  CHECK_FALSE(holds("custom:score NOT SET", f));
}

TEST_CASE("posture fails closed on missing or malformed facts", "[unit]") {
  PostureFacts none;
  CHECK_FALSE(holds("node:os != 'windows'", none));
  CHECK_FALSE(holds("node:os NOT IN ['windows']", none));
  CHECK_FALSE(holds("node:osVersion >= '1'", none));
  CHECK_FALSE(holds("firewall:enabled == true", none));
  PostureFacts weird{{"node:osVersion", "unknown"}};
  CHECK_FALSE(holds("node:osVersion >= '1'", weird));
  CHECK_FALSE(holds("node:osVersion < '99'", weird));
}

TEST_CASE("posture condition syntax errors", "[unit]") {
  CHECK(parse_posture_condition("node:os IN []").error().message() ==
        "empty list in posture condition \"node:os IN []\"; expected at least one value");
  CHECK(parse_posture_condition("node:os IN 'linux'").error().message() ==
        "expected '[' after IN in posture condition \"node:os IN 'linux'\"");
  CHECK(parse_posture_condition("os == 'linux'").error().message() ==
        "expected an attribute like node:os or custom:name at the start of posture condition "
        "\"os == 'linux'\"");
  CHECK(parse_posture_condition("node:os == 'linux' extra").error().message() ==
        "unexpected text at the end of posture condition \"node:os == 'linux' extra\"");
  CHECK(parse_posture_condition("node:os == 'linux").error().message() ==
        "posture condition \"node:os == 'linux\": unterminated quoted value; expected a "
        "closing '");
  CHECK_FALSE(parse_posture_condition("node:os INX ['a']").ok());
  CHECK(is_known_posture_attribute("custom:mdm"));
  CHECK(is_known_posture_attribute("secureboot:enabled"));
  CHECK_FALSE(is_known_posture_attribute("node:tsVersion"));
}

}  // namespace
}  // namespace ward::policy
