#include "node/daemon/status_text.hpp"

#include <catch2/catch.hpp>

using ward::node::daemon::render_status_text;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("status text: a running node with its backend, controller and a peer", "[unit]") {
  const auto status = nlohmann::json::parse(R"({
    "device": {"id": "dev-7", "name": "it-laptop", "interface": "ward0",
               "addresses": ["100.64.0.6/32", "fd7a:115c:a1e0::6/128"],
               "wg_backend": "builtin"},
    "state": "running",
    "controller": {"url": "https://ward.hospital.org:8443", "connected": true,
                   "last_serial": 42, "last_error": ""},
    "filter": {"accept_rules": 3, "dropped_packets": 17},
    "posture": {"node:os": "debian"},
    "certificate": {"not_after": "2027-01-01T00:00:00Z", "renew_at": "2026-12-20T00:00:00Z"},
    "peers": [{"name": "ehr-server", "public_key": "PUB=", "endpoint": "192.0.2.20:51820",
               "last_handshake": 0, "rx_bytes": 10, "tx_bytes": 20}]
  })");
  const std::string text = render_status_text(status);
  CHECK(contains(text, "device:      it-laptop (dev-7)\n"));
  CHECK(contains(text,
                 "interface:   ward0 100.64.0.6/32 fd7a:115c:a1e0::6/128 (WireGuard: builtin)\n"));
  CHECK(
      contains(text, "controller:  https://ward.hospital.org:8443 connected, netmap serial 42\n"));
  CHECK_FALSE(contains(text, "last error"));
  CHECK(contains(text, "filter:      3 accept rules, 17 packets dropped\n"));
  CHECK(contains(text, "peers:       1\n  ehr-server PUB=\n"));
  CHECK(contains(text, "endpoint 192.0.2.20:51820, handshake never, rx 10 B, tx 20 B\n"));
}

TEST_CASE("status text: missing or mistyped fields render as '-', never throw", "[unit]") {
  std::string text;
  REQUIRE_NOTHROW(text = render_status_text(nlohmann::json::parse(
                      R"({"device": {"name": 5, "wg_backend": null}, "controller": [],
                          "peers": {}, "filter": "x"})")));
  CHECK(contains(text, "interface:   -\n"));  // no backend suffix when it is not known
  CHECK(contains(text, "controller:  - disconnected, netmap serial -\n"));
  CHECK(contains(text, "peers:       0\n"));
  REQUIRE_NOTHROW(render_status_text(nlohmann::json::array()));
}
