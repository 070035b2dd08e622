#include "common/json/reader.hpp"

#include <catch2/catch.hpp>

#include "common/json/parse.hpp"

namespace {

using nlohmann::json;
using ward::json::ObjectReader;

json doc(std::string_view text) {
  auto r = ward::json::parse(text);
  INFO(text);
  REQUIRE(r);
  return *r;
}

std::string finish_error(ObjectReader& r) {
  auto s = r.finish();
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == ward::ErrorCode::kInvalidArgument);
  return s.error().message();
}

// Reads one field of type T from {"v": <value_text>} and returns the error message.
template <class T>
std::string type_error(std::string_view value_text) {
  json j = doc(std::string("{\"v\": ") + std::string(value_text) + "}");
  ObjectReader r(j, "$.x");
  (void)r.required<T>("v");
  return finish_error(r);
}

template <class T>
T read_ok(std::string_view value_text) {
  json j = doc(std::string("{\"v\": ") + std::string(value_text) + "}");
  ObjectReader r(j);
  T v = r.required<T>("v");
  auto s = r.finish();
  INFO(value_text);
  REQUIRE(s);
  return v;
}

}  // namespace

TEST_CASE("ObjectReader reads a well-formed object", "[unit]") {
  json j = doc(R"({"name": "ct-scanner-3", "port": 8443, "enabled": true, "weight": 0.5,
                   "tags": ["radiology", "ct"], "owner": {"id": 7}})");
  ObjectReader r(j, "$.device");
  CHECK(r.path() == "$.device");
  CHECK(r.required<std::string>("name") == "ct-scanner-3");
  CHECK(r.optional<std::uint16_t>("port") == std::optional<std::uint16_t>(8443));
  CHECK(r.required<bool>("enabled"));
  CHECK(r.required<double>("weight") == 0.5);
  CHECK(r.array("tags").values<std::string>() == std::vector<std::string>{"radiology", "ct"});
  ObjectReader owner = r.child("owner");
  CHECK(owner.required<std::int64_t>("id") == 7);
  CHECK(owner.path() == "$.device.owner");
  CHECK_FALSE(r.optional<std::string>("missing"));
  CHECK(r.optional<int>("absent", 42) == 42);
  CHECK(r.optional<std::uint16_t>("port", 1) == 8443);
  CHECK(r.finish());
  CHECK(r.errors().empty());
}

TEST_CASE("ObjectReader type errors quote what was found", "[unit]") {
  CHECK(type_error<std::uint16_t>("\"80\"") ==
        "$.x.v: expected an unsigned 16-bit integer, got string \"80\"");
  CHECK(type_error<std::uint16_t>("70000") ==
        "$.x.v: expected an unsigned 16-bit integer, got integer 70000");
  CHECK(type_error<std::uint16_t>("-1") ==
        "$.x.v: expected an unsigned 16-bit integer, got integer -1");
  CHECK(type_error<std::uint16_t>("80.0") ==
        "$.x.v: expected an unsigned 16-bit integer, got number 80.0");
  CHECK(type_error<std::uint16_t>("8e1") ==
        "$.x.v: expected an unsigned 16-bit integer, got number 80.0");
  CHECK(type_error<std::int32_t>("2147483648") ==
        "$.x.v: expected a signed 32-bit integer, got integer 2147483648");
  CHECK(type_error<std::int32_t>("-2147483649") ==
        "$.x.v: expected a signed 32-bit integer, got integer -2147483649");
  CHECK(type_error<std::int64_t>("9223372036854775808") ==
        "$.x.v: expected a signed 64-bit integer, got integer 9223372036854775808");
  CHECK(type_error<std::uint64_t>("18446744073709551616") ==
        "$.x.v: expected an unsigned 64-bit integer, got number 1.8446744073709552e+19");
  CHECK(type_error<std::uint8_t>("256") ==
        "$.x.v: expected an unsigned 8-bit integer, got integer 256");
  CHECK(type_error<int>("true") == "$.x.v: expected a signed 32-bit integer, got boolean true");
  CHECK(type_error<bool>("1") == "$.x.v: expected a boolean, got integer 1");
  CHECK(type_error<bool>("\"true\"") == "$.x.v: expected a boolean, got string \"true\"");
  CHECK(type_error<std::string>("null") == "$.x.v: expected a string, got null");
  CHECK(type_error<std::string>("{}") == "$.x.v: expected a string, got object");
  CHECK(type_error<std::string>("[]") == "$.x.v: expected a string, got array");
  CHECK(type_error<std::string>("false") == "$.x.v: expected a string, got boolean false");
  CHECK(type_error<double>("\"1.5\"") == "$.x.v: expected a number, got string \"1.5\"");
  // Long or hostile strings are escaped and cut.
  CHECK(type_error<int>("\"\\u001b[31mred" + std::string(40, 'x') + "\"") ==
        "$.x.v: expected a signed 32-bit integer, got string \"\\x1b[31mred" +
            std::string(24, 'x') + "\"...");
}

TEST_CASE("ObjectReader integer edges are exact", "[unit]") {
  CHECK(read_ok<std::uint16_t>("65535") == 65535);
  CHECK(read_ok<std::uint16_t>("0") == 0);
  CHECK(read_ok<std::int8_t>("-128") == -128);
  CHECK(read_ok<std::int8_t>("127") == 127);
  CHECK(read_ok<std::int64_t>("-9223372036854775808") == INT64_MIN);
  CHECK(read_ok<std::uint64_t>("18446744073709551615") == UINT64_MAX);
  CHECK(read_ok<double>("3") == 3.0);
  CHECK(read_ok<json>("[1, {\"a\": null}]") == json::parse("[1, {\"a\": null}]"));
  CHECK(read_ok<std::string>("\"\"").empty());
}

TEST_CASE("ObjectReader reports missing and unknown fields", "[unit]") {
  json j = doc(R"({"nmae": "x", "port": 80})");
  ObjectReader r(j, "$.device");
  (void)r.required<std::string>("name");
  (void)r.optional<std::uint16_t>("port");
  CHECK(finish_error(r) == "$.device.name: missing required field (and 1 more error)");
  CHECK(r.errors() ==
        std::vector<std::string>{"$.device.name: missing required field",
                                 "$.device.nmae: unknown field; expected one of name, port"});

  json k = doc(R"({"name": "x", "nmae": "y", "\u0007": 1})");
  ObjectReader s(k, "$.device");
  CHECK(s.required<std::string>("name") == "x");
  (void)s.optional<std::uint16_t>("port");
  CHECK(finish_error(s) ==
        "$.device[\"\\x07\"]: unknown field; expected one of name, port (and 1 more error)");
  CHECK(s.errors().at(1) == "$.device.nmae: unknown field; expected one of name, port");

  json e = doc(R"({"x": 1})");
  ObjectReader t(e);
  CHECK(finish_error(t) == "$.x: unknown field; expected no fields here");

  // allow() and has() make a field known without decoding it.
  json a = doc(R"({"extra": {"anything": [1]}, "flag": true})");
  ObjectReader u(a);
  u.allow("extra");
  CHECK(u.has("flag"));
  CHECK_FALSE(u.has("other"));
  CHECK(u.finish());
}

TEST_CASE("ObjectReader a non-object root", "[unit]") {
  json j = doc("[1, 2]");
  ObjectReader r(j, "$.device");
  CHECK(r.required<std::string>("name").empty());  // no second error for a dead reader
  CHECK(finish_error(r) == "$.device: expected an object, got array");
  CHECK(r.errors().size() == 1);
}

TEST_CASE("ObjectReader ranges and string lengths", "[unit]") {
  json j = doc(R"({"port": 0, "mtu": 1280, "name": "abcdef", "note": "ok", "ttl": 5})");
  ObjectReader r(j, "$.device");
  CHECK(r.required_int<int>("port", 1, 65535) == 0);
  CHECK(r.required_int<int>("mtu", 1280, 9000) == 1280);
  CHECK(r.required_string("name", 5).empty());
  CHECK(r.optional_string("note", 2) == std::optional<std::string>("ok"));
  CHECK_FALSE(r.optional_int<std::uint32_t>("ttl", 10, 20));
  CHECK_FALSE(r.optional_int<std::uint32_t>("none", 10, 20));
  CHECK_FALSE(r.optional_string("none2", 3));
  CHECK(r.required_string("none3", 3).empty());
  CHECK(r.required_int<int>("none4", 1, 2) == 0);
  (void)r.finish();
  CHECK(r.errors() == std::vector<std::string>{
                          "$.device.port: expected an integer from 1 to 65535, got 0",
                          "$.device.name: expected a string of at most 5 bytes, got 6 bytes",
                          "$.device.ttl: expected an integer from 10 to 20, got 5",
                          "$.device.none3: missing required field",
                          "$.device.none4: missing required field",
                      });
  json k = doc(R"({"port": "x"})");
  ObjectReader s(k);
  (void)s.required_int<int>("port", 1, 65535);
  CHECK(finish_error(s) == "$.port: expected a signed 32-bit integer, got string \"x\"");
}

TEST_CASE("ObjectReader nested objects and arrays carry indexes in paths", "[unit]") {
  json j = doc(R"({"peers": [{"key": "a"}, {"key": "b"}, {"key": "c"}, {"key": 4},
                             {"kye": "e"}, 6],
                   "tags": ["x", 2],
                   "owner": {"id": "7", "extra": 1},
                   "list": {}, "obj": []})");
  ObjectReader r(j, "$");
  std::vector<std::string> keys;
  auto peers = r.array("peers");
  CHECK(peers.size() == 6);
  CHECK(peers.path() == "$.peers");
  for (ObjectReader& p : peers.objects())
    keys.push_back(p.required<std::string>("key"));
  CHECK(keys == std::vector<std::string>{"a", "b", "c", "", "", ""});
  CHECK(r.array("tags").values<std::string>() == std::vector<std::string>{"x", ""});
  auto owner = r.child("owner");
  (void)owner.required<int>("id");
  (void)r.array("list");
  (void)r.child("obj");
  (void)r.child("nochild");
  (void)r.array("noarray");
  CHECK_FALSE(r.optional_child("nochild2"));
  CHECK(r.optional_array("noarray2").size() == 0);
  (void)r.finish();
  // objects() checks element types up front, then each element's fields are read.
  CHECK(r.errors() == std::vector<std::string>{
                          "$.peers[5]: expected an object, got integer 6",
                          "$.peers[3].key: expected a string, got integer 4",
                          "$.peers[4].key: missing required field",
                          "$.tags[1]: expected a string, got integer 2",
                          "$.owner.id: expected a signed 32-bit integer, got string \"7\"",
                          "$.list: expected an array, got object",
                          "$.obj: expected an object, got array",
                          "$.nochild: missing required field",
                          "$.noarray: missing required field",
                          "$.peers[4].kye: unknown field; expected one of key",
                          "$.owner.extra: unknown field; expected one of id",
                      });
}

TEST_CASE("ObjectReader optional child and array limits", "[unit]") {
  json j = doc(R"({"a": {"x": 1}, "b": 5, "c": [1, 2, 3]})");
  ObjectReader r(j);
  auto a = r.optional_child("a");
  REQUIRE(a);
  CHECK(a->required<int>("x") == 1);
  CHECK_FALSE(r.optional_child("b"));
  CHECK(r.array("c", 2).size() == 0);
  CHECK(finish_error(r) == "$.b: expected an object, got integer 5 (and 1 more error)");
  CHECK(r.errors().at(1) == "$.c: expected an array of at most 2 elements, got 3");

  // Unknown fields of a child are reported by the root's finish() even if the child
  // reader is gone and never finished.
  json k = doc(R"({"a": {"x": 1, "y": 2}})");
  ObjectReader s(k);
  {
    auto child = s.child("a");
    (void)child.required<int>("x");
  }
  CHECK(finish_error(s) == "$.a.y: unknown field; expected one of x");

  // fail() lets callers add semantic errors with the right path.
  json m = doc(R"({"cidr": "10.0.0.1/8"})");
  ObjectReader t(m, "$.route");
  auto cidr = t.required<std::string>("cidr");
  t.fail("cidr", "host bits set in " + ward::quote(cidr));
  CHECK(finish_error(t) == "$.route.cidr: host bits set in \"10.0.0.1/8\"");
}
