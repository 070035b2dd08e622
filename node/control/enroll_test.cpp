#include "node/control/enroll.hpp"

#include <catch2/catch.hpp>

#include "node/control/controller_client.hpp"

using namespace ward;
using namespace ward::node::control;
using nlohmann::json;

TEST_CASE("enroll body carries exactly one credential", "[unit]") {
  EnrollRequest r;
  r.wg_public_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  r.csr = "-----BEGIN CERTIFICATE REQUEST-----\n...";
  r.hostname = "clin1-laptop";
  r.os_name = "debian";
  r.os_version = "12";
  r.kernel = "6.1.0-18-amd64";
  r.endpoints = {"192.0.2.10:51820"};
  r.listen_port = 51820;
  REQUIRE_FALSE(build_enroll_body(r));  // none
  r.enroll_key = SecretString("wek_secret");
  auto body = build_enroll_body(r);
  REQUIRE(body);
  json j = json::parse(body->reveal());
  REQUIRE(j["enroll_key"] == "wek_secret");
  REQUIRE_FALSE(j.contains("login"));
  REQUIRE(j["os"] == json{{"name", "debian"}, {"version", "12"}, {"kernel", "6.1.0-18-amd64"}});
  REQUIRE(j["endpoints"] == json{"192.0.2.10:51820"});
  REQUIRE(j["listen_port"] == 51820);
  REQUIRE(j["hostname"] == "clin1-laptop");
  r.login = LoginCredential{"a@h.org", SecretString("pw"), SecretString("123456")};
  REQUIRE_FALSE(build_enroll_body(r));  // both
  r.enroll_key.reset();
  j = json::parse(build_enroll_body(r)->reveal());
  REQUIRE(j["login"] == json{{"email", "a@h.org"}, {"password", "pw"}, {"totp", "123456"}});
  r.hostname.clear();
  REQUIRE_FALSE(build_enroll_body(r));
}

TEST_CASE("enroll response parsing is strict about what the node relies on", "[unit]") {
  json ok = {{"device_id", "dev_1"},
             {"name", "n"},
             {"status", "active"},
             {"addresses", {"100.64.0.7/32", "fd7a:115c:a1e0::7/128"}},
             {"overlay", {{"v4", "100.64.0.0/10"}, {"v6", "fd7a:115c:a1e0::/48"}}},
             {"certificate", "C"},
             {"ca", "A"},
             {"cert_not_after", "2026-11-29T17:25:00Z"}};
  auto r = parse_enroll_response(ok.dump());
  REQUIRE(r);
  REQUIRE(r->device_id == "dev_1");
  REQUIRE(r->addresses.size() == 2);
  REQUIRE(r->overlay_v6.to_string() == "fd7a:115c:a1e0::/48");
  for (auto mutate : std::vector<std::function<void(json&)>>{
           [](json& j) { j.erase("device_id"); }, [](json& j) { j["addresses"] = {"nope"}; },
           [](json& j) { j["overlay"]["v4"] = "fd7a::/48"; }, [](json& j) { j["certificate"] = 5; },
           [](json& j) { j["device_id"] = ""; }}) {
    json j = ok;
    mutate(j);
    REQUIRE_FALSE(parse_enroll_response(j.dump()));
  }
  REQUIRE_FALSE(parse_enroll_response("[]"));
}

TEST_CASE("error responses map to error codes", "[unit]") {
  auto e = error_from_response(
      403, R"({"error":{"code":"permission_denied","message":"device is revoked"}})");
  REQUIRE(e.code() == ErrorCode::kPermissionDenied);
  REQUIRE(e.message().find("device is revoked") != std::string::npos);
  REQUIRE(error_from_response(401, "garbage").code() == ErrorCode::kUnauthenticated);
  REQUIRE(error_from_response(500, "").code() == ErrorCode::kUnavailable);
  REQUIRE(error_from_response(400, R"({"error":{"code":"weird","message":"x"}})").code() ==
          ErrorCode::kInvalidArgument);
}

TEST_CASE("endpoints: non-loopback addresses with the port, then --endpoint values", "[unit]") {
  std::vector<net::IpAddress> local;
  for (const char* a : {"127.0.0.1", "192.0.2.10", "169.254.1.1", "::1", "fe80::1", "2001:db8::10",
                        "0.0.0.0", "224.0.0.1"})
    local.push_back(*net::IpAddress::parse(a));
  auto eps = endpoint_list(local, 51820, {"203.0.113.5:4500", "192.0.2.10:51820"});
  REQUIRE(eps ==
          std::vector<std::string>{"192.0.2.10:51820", "[2001:db8::10]:51820", "203.0.113.5:4500"});
  REQUIRE(endpoint_list(local, 0, {"203.0.113.5:4500"}) ==
          std::vector<std::string>{"203.0.113.5:4500"});
  auto mine = local_addresses();
  REQUIRE(mine);
  REQUIRE(std::find(mine->begin(), mine->end(), *net::IpAddress::parse("127.0.0.1")) !=
          mine->end());
}

TEST_CASE("controller URLs", "[unit]") {
  auto a = ControllerUrl::parse("https://ctl.example:9443/");
  REQUIRE(a);
  REQUIRE(a->host == "ctl.example");
  REQUIRE(a->port == 9443);
  auto b = ControllerUrl::parse("https://192.0.2.1");
  REQUIRE(b);
  REQUIRE(b->port == 8443);
  auto c = ControllerUrl::parse("https://[2001:db8::1]:8443");
  REQUIRE(c);
  REQUIRE(c->host == "2001:db8::1");
  REQUIRE(c->to_string() == "https://[2001:db8::1]:8443");
  for (const char* bad : {"http://x", "https://", "https://x:0", "https://x:70000", "https://x:",
                          "https://x/path", "https://u@x", "https://[::1", "https://x:12a"})
    REQUIRE_FALSE(ControllerUrl::parse(bad));
}

TEST_CASE("renew and posture bodies", "[unit]") {
  REQUIRE(json::parse(build_renew_body("CSR")) == json{{"csr", "CSR"}});
  REQUIRE(parse_renew_response(R"({"certificate":"P","cert_not_after":"x"})").value() == "P");
  REQUIRE_FALSE(parse_renew_response(R"({"cert_not_after":"x"})"));
  auto p = json::parse(build_posture_body({{"disk:encrypted", true}}, {"192.0.2.1:1"}, 1));
  REQUIRE(p == json{{"facts", {{"disk:encrypted", true}}},
                    {"endpoints", {"192.0.2.1:1"}},
                    {"listen_port", 1}});
}
