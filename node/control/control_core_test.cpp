#include "node/control/control_core.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/netmap/test_keys.hpp"

using namespace ward::node;
using namespace ward::node::control;
using namespace std::chrono_literals;
using nlohmann::json;
using ward::node::testing::key_n;

namespace {

const WgKey kOwn = key_n(999);
const ControlCore::SysTime kT0 = ControlCore::SysTime{} + 24h * 20000;
const ControlCore::SysTime kNotAfter = kT0 + 24h * 30;

json peer(unsigned n) {
  return {{"id", "dev_" + std::to_string(n)},
          {"name", "p" + std::to_string(n)},
          {"public_key", key_n(n).to_base64()},
          {"allowed_ips", {"100.64.0." + std::to_string(n) + "/32"}},
          {"endpoints", {"192.0.2." + std::to_string(n) + ":51820"}},
          {"persistent_keepalive", 25}};
}

json netmap(std::uint64_t serial, std::vector<unsigned> peers) {
  json ps = json::array();
  for (unsigned n : peers)
    ps.push_back(peer(n));
  return {{"type", "netmap"},
          {"serial", serial},
          {"self",
           {{"id", "dev_self"},
            {"name", "me"},
            {"user", nullptr},
            {"tags", json::array()},
            {"addresses", {"100.64.0.200/32"}}}},
          {"overlay", {{"v4", "100.64.0.0/10"}, {"v6", "fd7a:115c:a1e0::/48"}}},
          {"peers", ps},
          {"filter",
           {{"inbound", {{{"src", {"100.64.0.1/32"}}, {"proto", {6}}, {"ports", {{22, 22}}}}}}}}};
}

std::vector<ActionKind> kinds(const std::vector<Action>& a) {
  std::vector<ActionKind> out;
  for (const auto& x : a)
    out.push_back(x.kind);
  return out;
}

}  // namespace

TEST_CASE("a valid netmap is applied and becomes the resume serial", "[unit]") {
  ControlCore c(kOwn, kNotAfter);
  REQUIRE_FALSE(c.resume_serial());
  auto a = c.on_line(netmap(42, {1, 2}).dump(), kT0);
  REQUIRE(kinds(a) == std::vector{ActionKind::kApply});
  REQUIRE(a[0].netmap->peers.size() == 2);
  REQUIRE(c.resume_serial() == 42u);
  REQUIRE(kinds(c.on_line(R"({"type":"keepalive","serial":42})", kT0)).empty());
}

TEST_CASE("an invalid netmap is rejected and the last good one stays", "[unit]") {
  ControlCore c(kOwn, kNotAfter);
  c.on_line(netmap(1, {1}).dump(), kT0);
  json bad = netmap(2, {1, 2});
  bad["peers"][1]["allowed_ips"] = {"100.64.0.1/32"};  // overlaps peer 1
  auto a = c.on_line(bad.dump(), kT0);
  REQUIRE(kinds(a) == std::vector{ActionKind::kRejected});
  REQUIRE(a[0].reason.find("rejected") != std::string::npos);
  REQUIRE(c.netmap()->serial == 1);
  json own = netmap(3, {1});
  own["peers"][0]["public_key"] = kOwn.to_base64();  // our own key as a peer
  REQUIRE(kinds(c.on_line(own.dump(), kT0)) == std::vector{ActionKind::kRejected});
  REQUIRE(kinds(c.on_line("{not json", kT0)) == std::vector{ActionKind::kRejected});
  REQUIRE(c.netmap()->serial == 1);
}

TEST_CASE("deltas apply on their base, otherwise reconnect", "[unit]") {
  ControlCore c(kOwn, kNotAfter);
  json d = {{"type", "delta"},
            {"serial", 8},
            {"base_serial", 7},
            {"peers_upsert", {peer(3)}},
            {"peers_remove", json::array()}};
  auto none = c.on_line(d.dump(), kT0);  // no map yet
  REQUIRE(kinds(none) == std::vector{ActionKind::kReconnect});
  REQUIRE_FALSE(none[0].serial.has_value());
  c.on_line(netmap(7, {1}).dump(), kT0);
  auto a = c.on_line(d.dump(), kT0);
  REQUIRE(kinds(a) == std::vector{ActionKind::kApply});
  REQUIRE(a[0].netmap->serial == 8);
  REQUIRE(a[0].netmap->peers.size() == 2);
  auto stale = c.on_line(d.dump(), kT0);  // base 7 again, we are at 8
  REQUIRE(kinds(stale) == std::vector{ActionKind::kReconnect});
  REQUIRE(stale[0].serial == 8u);
  json bad = {{"type", "delta"},
              {"serial", 9},
              {"base_serial", 8},
              {"peers_upsert", json::array()},
              {"peers_remove", {key_n(77).to_base64()}}};  // unknown key
  auto r = c.on_line(bad.dump(), kT0);
  REQUIRE(kinds(r) == std::vector{ActionKind::kRejected, ActionKind::kReconnect});
  REQUIRE_FALSE(r[1].serial.has_value());  // ask for a full map
  REQUIRE(c.netmap()->serial == 8);
}

TEST_CASE("revocation drops everything first, then stops; later messages are ignored", "[unit]") {
  for (const char* type : {"revoked", "expired"}) {
    ControlCore c(kOwn, kNotAfter);
    c.on_line(netmap(5, {1}).dump(), kT0);
    auto a = c.on_line(json{{"type", type}, {"reason", "admin action"}}.dump(), kT0);
    REQUIRE(kinds(a) == std::vector{ActionKind::kDropAll, ActionKind::kStop});
    REQUIRE(a[0].reason == std::string(type) + ": admin action");
    REQUIRE(c.stopped());
    REQUIRE_FALSE(c.netmap());
    REQUIRE(c.on_line(netmap(6, {1}).dump(), kT0).empty());
    REQUIRE(c.tick(kNotAfter + 1h).empty());
  }
  ControlCore c(kOwn, kNotAfter);
  auto t = c.terminate("renew refused: 403");
  REQUIRE(kinds(t) == std::vector{ActionKind::kDropAll, ActionKind::kStop});
  REQUIRE(c.terminate("again").empty());
}

TEST_CASE("quarantine drops everything first and lasts until the next netmap", "[unit]") {
  ControlCore c(kOwn, kNotAfter);
  c.on_line(netmap(5, {1}).dump(), kT0);
  auto a = c.on_line(json{{"type", "quarantined"}, {"reason", "malware alert"}}.dump(), kT0);
  REQUIRE(kinds(a) == std::vector{ActionKind::kDropAll, ActionKind::kQuarantined});
  REQUIRE(a[0].reason == "quarantined: malware alert");
  REQUIRE(c.quarantined());
  REQUIRE_FALSE(c.stopped());
  REQUIRE_FALSE(c.netmap());
  REQUIRE_FALSE(c.resume_serial());  // reconnect without ?serial: a full map
  // Quarantined again on reconnect: the same, nothing applied.
  REQUIRE(kinds(c.on_line(json{{"type", "quarantined"}, {"reason", "x"}}.dump(), kT0)) ==
          std::vector{ActionKind::kDropAll, ActionKind::kQuarantined});
  // A delta cannot end it (there is no map to apply it to): ask for a full map.
  json d = {{"type", "delta"},
            {"serial", 7},
            {"base_serial", 6},
            {"peers_upsert", json::array()},
            {"peers_remove", json::array()}};
  REQUIRE(kinds(c.on_line(d.dump(), kT0)) == std::vector{ActionKind::kReconnect});
  REQUIRE(c.quarantined());
  // Unquarantined: the next full map is applied and ends the quarantine.
  REQUIRE(kinds(c.on_line(netmap(8, {1}).dump(), kT0)) == std::vector{ActionKind::kApply});
  REQUIRE_FALSE(c.quarantined());
  REQUIRE(c.stop_reason().empty());
  // Revocation while quarantined is final.
  c.on_line(json{{"type", "quarantined"}, {"reason", "y"}}.dump(), kT0);
  REQUIRE(kinds(c.on_line(json{{"type", "revoked"}, {"reason", "z"}}.dump(), kT0)) ==
          std::vector{ActionKind::kDropAll, ActionKind::kStop});
  REQUIRE(c.stopped());
  REQUIRE_FALSE(c.quarantined());
}

TEST_CASE("fail closed: the last netmap is kept only until notAfter", "[unit]") {
  ControlCore c(kOwn, kNotAfter);
  c.on_line(netmap(5, {1}).dump(), kT0);
  REQUIRE(c.tick(kNotAfter - 1s).empty());
  REQUIRE(c.netmap());
  auto a = c.tick(kNotAfter);
  REQUIRE(kinds(a) == std::vector{ActionKind::kDropAll});
  REQUIRE(c.failed_closed());
  REQUIRE_FALSE(c.netmap());
  REQUIRE(c.tick(kNotAfter + 1s).empty());  // once
  // A map arriving while the certificate is expired is not applied.
  REQUIRE(kinds(c.on_line(netmap(6, {1}).dump(), kNotAfter + 2s)) ==
          std::vector{ActionKind::kRejected});
  // After renewal maps apply again and the deadline moves.
  c.renewed(kNotAfter + 24h * 30);
  REQUIRE(c.deadline() == kNotAfter + 24h * 30);
  REQUIRE(kinds(c.on_line(netmap(7, {1}).dump(), kNotAfter + 3s)) ==
          std::vector{ActionKind::kApply});
  REQUIRE_FALSE(c.failed_closed());
  REQUIRE(c.tick(kNotAfter + 24h).empty());
}
