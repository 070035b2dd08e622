#include "controller/policy/inventory.hpp"

#include <catch2/catch.hpp>

namespace ward::policy {
namespace {

std::string error_of(std::string_view text) {
  auto r = parse_inventory(text, "inv.json");
  REQUIRE_FALSE(r.ok());
  return r.error().message();
}

TEST_CASE("the hospital inventory parses", "[unit]") {
  auto r = parse_inventory_file(WARD_POLICY_TESTDATA "/hospital_inventory.json");
  if (!r) FAIL(r.error().message());
  REQUIRE(r->users.size() == 4);
  REQUIRE(r->devices.size() == 9);
  const Device& d = r->devices[0];
  CHECK(d.id == "d-house-laptop");
  CHECK(d.overlay_v4->to_string() == "100.64.1.1");
  CHECK(d.overlay_v6->to_string() == "fd7a:115c:a1e0::1:1");
  CHECK(d.posture.at("disk:encrypted") == "true");
  CHECK(d.posture.at("node:osVersion") == "14.2");
  CHECK(d.status == DeviceStatus::kActive);
  CHECK(r->devices[4].tags == std::vector<std::string>{"tag:ehr"});
  CHECK(r->devices[8].status == DeviceStatus::kRevoked);
}

TEST_CASE("inventory errors carry positions", "[unit]") {
  CHECK(error_of("{\"users\": [], \"device\": []}") ==
        "inv.json:1:15: unknown key \"device\" in the inventory; expected one of version, "
        "users, devices");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"user\": \"x@y\", \"status\": \"on\"}]}") ==
        "inv.json:1:51: unknown device status \"on\"; expected pending, active, quarantined, "
        "revoked or expired");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"tags\": [\"tag:t\"], \"status\": \"active\", "
                 "\"addresses\": [\"100.64.0.1\", \"100.64.0.2\"]}]}") ==
        "inv.json:1:93: second IPv4 overlay address; expected at most one per family");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"status\": \"active\"}]}") ==
        "inv.json:1:14: device a has neither a user nor tags; expected one of them");
  CHECK(error_of("{\"users\": [{\"email\": \"x@y\"}], \"devices\": [\n"
                 "{\"id\": \"a\", \"user\": \"x@y\", \"status\": \"active\", \"public_key\": "
                 "\"short\"}]}") ==
        "inv.json:2:1: device a has a malformed public key \"short\"; expected 44 characters of "
        "base64");
  CHECK(error_of("{\"users\": [], \"devices\": [\n"
                 "{\"id\": \"a\", \"user\": \"x@y\", \"status\": \"active\"}]}") ==
        "inv.json:2:21: device a belongs to unknown user \"x@y\"; expected a user listed in users");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"tags\": [\"t\"], \"status\": \"active\"},\n"
                 "{\"id\": \"a\", \"tags\": [\"tag:t\"], \"status\": \"active\"}]}") ==
        "inv.json:1:14: bad tag \"t\" on device a; expected tag:<name>");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"tags\": [\"tag:t\"], \"status\": \"active\"},\n"
                 "{\"id\": \"a\", \"tags\": [\"tag:t\"], \"status\": \"active\"}]}") ==
        "inv.json:2:8: duplicate device id \"a\"");
  CHECK(error_of("{\"devices\": [{\"id\": \"a\", \"tags\": [\"tag:t\"], \"status\": \"active\", "
                 "\"addresses\": [\"100.64.0.1\"]},\n"
                 "{\"id\": \"b\", \"tags\": [\"tag:t\"], \"status\": \"active\", \"addresses\": "
                 "[\"100.64.0.1\"]}]}") ==
        "inv.json:2:65: overlay address 100.64.0.1 of device b is used by another device");
}

TEST_CASE("wireguard key format", "[unit]") {
  CHECK(is_wireguard_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="));
  CHECK_FALSE(is_wireguard_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="));  // padding bits
  CHECK_FALSE(is_wireguard_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK_FALSE(is_wireguard_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!="));
}

}  // namespace
}  // namespace ward::policy
