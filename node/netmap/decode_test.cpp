#include "node/netmap/decode.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "node/netmap/test_keys.hpp"

using namespace ward::node;
using nlohmann::json;
using ward::node::testing::key_n;

namespace {

json sample_netmap() {
  return json::parse(R"({
    "type": "netmap", "serial": 42,
    "self": {"id": "dev_a", "name": "ehr-server", "user": null, "tags": ["tag:ehr"],
             "addresses": ["100.64.0.3/32", "fd7a:115c:a1e0::3/128"]},
    "overlay": {"v4": "100.64.0.0/10", "v6": "fd7a:115c:a1e0::/48"},
    "peers": [
      {"id": "dev_b", "name": "clin1-laptop",
       "public_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
       "allowed_ips": ["100.64.0.7/32", "fd7a:115c:a1e0::7/128"],
       "endpoints": ["192.0.2.10:51820", "[2001:db8::7]:51820"],
       "persistent_keepalive": 25}
    ],
    "filter": {"inbound": [
      {"src": ["100.64.0.7/32", "fd7a:115c:a1e0::7/128"], "proto": [6], "ports": [[443, 443]]},
      {"src": ["100.64.0.9/32"], "proto": [1, 58], "ports": []}
    ]}
  })");
}

ward::Result<StreamMessage> decode(const json& j) {
  return decode_stream_message(j.dump());
}

std::string error_of(const json& j) {
  auto r = decode(j);
  REQUIRE_FALSE(r);
  return r.error().message();
}

}  // namespace

TEST_CASE("decode: the protocol.md netmap example", "[unit]") {
  auto r = decode(sample_netmap());
  REQUIRE(r);
  const auto& m = std::get<Netmap>(*r);
  CHECK(m.serial == 42);
  CHECK(m.self.id == "dev_a");
  CHECK_FALSE(m.self.user.has_value());
  REQUIRE(m.self.addresses.size() == 2);
  CHECK(m.self.addresses[0].to_string() == "100.64.0.3/32");
  CHECK(m.overlay.v4.to_string() == "100.64.0.0/10");
  CHECK(m.overlay.v6.to_string() == "fd7a:115c:a1e0::/48");
  REQUIRE(m.peers.size() == 1);
  const Peer& p = m.peers[0];
  CHECK(p.public_key.to_hex().substr(0, 6) == "000102");
  REQUIRE(p.allowed_ips.size() == 2);
  CHECK(p.allowed_ips[1].to_string() == "fd7a:115c:a1e0::7/128");
  REQUIRE(p.endpoints.size() == 2);
  CHECK(p.endpoints[0].to_string() == "192.0.2.10:51820");
  CHECK(p.persistent_keepalive == 25);
  REQUIRE(m.filter.inbound.size() == 2);
  CHECK(m.filter.inbound[0].proto == std::vector<std::uint8_t>{6});
  CHECK(m.filter.inbound[0].ports == std::vector<PortRange>{{443, 443}});
  CHECK(m.filter.inbound[1].proto == std::vector<std::uint8_t>{1, 58});
  CHECK(m.filter.inbound[1].ports.empty());
}

TEST_CASE("decode: delta, keepalive and terminal notices", "[unit]") {
  json d = {{"type", "delta"},
            {"serial", 43},
            {"base_serial", 42},
            {"peers_upsert", json::array({sample_netmap()["peers"][0]})},
            {"peers_remove", json::array({key_n(9).to_base64()})},
            {"filter", {{"inbound", json::array()}}}};
  auto r = decode(d);
  REQUIRE(r);
  const auto& delta = std::get<Delta>(*r);
  CHECK(delta.serial == 43);
  CHECK(delta.base_serial == 42);
  CHECK(delta.peers_upsert.size() == 1);
  CHECK(delta.peers_remove == std::vector<WgKey>{key_n(9)});
  REQUIRE(delta.filter.has_value());
  CHECK(delta.filter->inbound.empty());
  CHECK_FALSE(delta.self.has_value());

  auto k = decode_stream_message(R"({"type":"keepalive","serial":42})");
  REQUIRE(k);
  CHECK(std::get<Keepalive>(*k).serial == 42);

  for (auto [name, kind] : {std::pair{"revoked", TerminalKind::kRevoked},
                            std::pair{"quarantined", TerminalKind::kQuarantined},
                            std::pair{"expired", TerminalKind::kExpired}}) {
    auto t = decode(json{{"type", name}, {"reason", "admin"}});
    REQUIRE(t);
    CHECK(std::get<Terminal>(*t).kind == kind);
    CHECK(std::get<Terminal>(*t).reason == "admin");
    CHECK(terminal_kind_name(kind) == name);
  }
  // A terminal notice without a (string) reason still terminates.
  auto t = decode(json{{"type", "revoked"}, {"reason", 5}});
  REQUIRE(t);
  CHECK(std::holds_alternative<Terminal>(*t));
}

TEST_CASE("decode: rejects malformed messages with a JSON path", "[unit]") {
  CHECK_FALSE(decode_stream_message("not json"));
  CHECK_FALSE(decode_stream_message("[1,2]"));
  CHECK_FALSE(decode_stream_message(R"({"serial":1})"));
  CHECK(error_of(json{{"type", "hello"}}).find("$.type") != std::string::npos);

  auto m = sample_netmap();
  m["peers"][0]["public_key"] = "AAAA";
  CHECK(error_of(m).find("$.peers[0].public_key") != std::string::npos);

  m = sample_netmap();
  m["peers"][0]["allowed_ips"][1] = "10.0.0.1/8";  // host bits set
  CHECK(error_of(m).find("$.peers[0].allowed_ips[1]") != std::string::npos);

  m = sample_netmap();
  m["peers"][0]["allowed_ips"][0] = "100.64.0.7";  // no length
  CHECK(error_of(m).find("$.peers[0].allowed_ips[0]") != std::string::npos);

  m = sample_netmap();
  m["peers"][0]["persistent_keepalive"] = 70000;
  CHECK(error_of(m).find("persistent_keepalive") != std::string::npos);

  m = sample_netmap();
  m["peers"][0]["persistent_keepalive"] = -1;
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["peers"][0]["persistent_keepalive"] = 2.5;
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["peers"][0]["endpoints"][0] = "192.0.2.1:0";
  CHECK(error_of(m).find("$.peers[0].endpoints[0]") != std::string::npos);

  m = sample_netmap();
  m["filter"]["inbound"][0]["ports"][0] = json::array({443, 80});
  CHECK(error_of(m).find("$.filter.inbound[0].ports[0]") != std::string::npos);

  m = sample_netmap();
  m["filter"]["inbound"][0]["ports"][0] = json::array({0, 80});
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["filter"]["inbound"][0]["ports"][0] = json::array({1, 65536});
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["filter"]["inbound"][0]["proto"][0] = 256;
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["filter"]["inbound"][0]["dst"] = json::array();  // unknown: could narrow; fail closed
  CHECK(error_of(m).find("unknown field \"dst\"") != std::string::npos);

  m = sample_netmap();
  m.erase("filter");
  CHECK(error_of(m).find("\"filter\"") != std::string::npos);

  m = sample_netmap();
  m["serial"] = "42";
  CHECK_FALSE(decode(m));

  m = sample_netmap();
  m["overlay"]["v4"] = "fd7a::/48";
  CHECK(error_of(m).find("$.overlay.v4") != std::string::npos);

  CHECK_FALSE(decode(json{{"type", "delta"}, {"serial", 2}}));  // no base_serial
}

TEST_CASE("decode: size limits", "[unit]") {
  DecodeLimits lim;
  lim.max_peers = 2;
  auto m = sample_netmap();
  auto peer = m["peers"][0];
  m["peers"] = json::array({peer, peer, peer});
  auto r = decode_stream_message(m.dump(), lim);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("too many entries") != std::string::npos);

  DecodeLimits small;
  small.max_line_bytes = 16;
  CHECK_FALSE(decode_stream_message(R"({"type":"keepalive","serial":42})", small));

  m = sample_netmap();
  m["self"]["name"] = std::string(300, 'x');
  CHECK_FALSE(decode(m));
}
