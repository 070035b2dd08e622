#include "common/http/router.hpp"

#include <catch2/catch.hpp>

using namespace ward::http;
using Kind = RouteMatch::Kind;

TEST_CASE("router: exact paths, parameters, 404 and 405", "[unit]") {
  Router r;
  REQUIRE(r.add("POST", "/v1/enroll", 1).ok());
  REQUIRE(r.add("GET", "/v1/admin/devices", 2).ok());
  REQUIRE(r.add("GET", "/v1/admin/devices/{id}", 3).ok());
  REQUIRE(r.add("DELETE", "/v1/admin/devices/{id}", 4).ok());
  REQUIRE(r.add("GET", "/v1/admin/devices/pending", 5).ok());
  REQUIRE(r.add("GET", "/v1/admin/users/{user}/keys/{key}", 6).ok());
  REQUIRE(r.add("GET", "/", 7).ok());

  auto m = r.match("POST", "/v1/enroll");
  CHECK(m.kind == Kind::kFound);
  CHECK(m.id == 1);

  m = r.match("GET", "/v1/admin/devices/dev-42");
  REQUIRE(m.kind == Kind::kFound);
  CHECK(m.id == 3);
  CHECK(m.params.get("id") == std::optional<std::string_view>("dev-42"));
  CHECK_FALSE(m.params.get("other").has_value());

  // The literal segment beats the parameter; other methods still reach the parameter.
  CHECK(r.match("GET", "/v1/admin/devices/pending").id == 5);
  CHECK(r.match("DELETE", "/v1/admin/devices/pending").id == 4);

  m = r.match("GET", "/v1/admin/users/a%40b/keys/k1");
  REQUIRE(m.kind == Kind::kFound);
  CHECK(m.params.get("user") == std::optional<std::string_view>("a@b"));
  CHECK(m.params.get("key") == std::optional<std::string_view>("k1"));

  CHECK(r.match("GET", "/").id == 7);
  CHECK(r.match("GET", "/v1/enroll/").kind == Kind::kNotFound);
  CHECK(r.match("GET", "/v1/nothing").kind == Kind::kNotFound);
  CHECK(r.match("GET", "/v1/admin/devices/").kind == Kind::kNotFound);    // empty param
  CHECK(r.match("GET", "/v1/admin/devices/..").kind == Kind::kNotFound);  // dot segments
  CHECK(r.match("GET", "/v1/admin/devices/a%2Fb").kind == Kind::kNotFound);
  CHECK(r.match("GET", "/v1/admin/devices/%zz").kind == Kind::kNotFound);
  CHECK(r.match("GET", "*").kind == Kind::kNotFound);

  m = r.match("GET", "/v1/enroll");
  CHECK(m.kind == Kind::kMethodNotAllowed);
  CHECK(m.allow == "POST");
  m = r.match("PUT", "/v1/admin/devices/x");
  CHECK(m.kind == Kind::kMethodNotAllowed);
  CHECK(m.allow == "DELETE, GET, HEAD");
}

TEST_CASE("router: HEAD is served by GET routes", "[unit]") {
  Router r;
  REQUIRE(r.add("GET", "/a", 1).ok());
  REQUIRE(r.add("GET", "/b", 2).ok());
  REQUIRE(r.add("HEAD", "/b", 3).ok());
  auto m = r.match("HEAD", "/a");
  CHECK(m.kind == Kind::kFound);
  CHECK(m.id == 1);
  CHECK(m.head_only);
  CHECK(r.match("HEAD", "/b").id == 3);
  CHECK_FALSE(r.match("GET", "/a").head_only);
}

TEST_CASE("router: bad patterns are refused", "[unit]") {
  Router r;
  CHECK_FALSE(r.add("GET", "relative", 1).ok());
  CHECK_FALSE(r.add("GET", "", 1).ok());
  CHECK_FALSE(r.add("G ET", "/x", 1).ok());
  CHECK_FALSE(r.add("GET", "/x/{}", 1).ok());
  CHECK_FALSE(r.add("GET", "/x/{id", 1).ok());
  CHECK_FALSE(r.add("GET", "/x/pre{id}", 1).ok());
  CHECK_FALSE(r.add("GET", "/x/{a}/{a}", 1).ok());
  REQUIRE(r.add("GET", "/x/{a}", 1).ok());
  auto dup = r.add("GET", "/x/{a}", 2);
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code() == ward::ErrorCode::kAlreadyExists);
}
