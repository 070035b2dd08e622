#include "node/uapi/protocol.hpp"

#include <catch2/catch.hpp>

#include "node/uapi/test_fixtures.hpp"

using namespace ward::node;
using namespace ward::node::uapi;
using ward::node::uapi::testing::fixture;

namespace {

WgKey filled(std::uint8_t b) {
  std::array<std::uint8_t, 32> a{};
  a.fill(b);
  return WgKey(a);
}
ward::SecretBytes secret_filled(std::uint8_t b) {
  ward::SecretBytes s(32);
  for (auto& x : s.span())
    x = b;
  return s;
}
ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

}  // namespace

TEST_CASE("uapi: encoding reproduces the recorded full set request", "[unit]") {
  WgChange c;
  c.private_key = secret_filled(0x41);
  c.listen_port = 51820;
  c.replace_peers = true;
  WgPeerChange a;
  a.public_key = filled(0x42);
  a.preshared_key = secret_filled(0x44);
  a.endpoint = Endpoint::parse("192.0.2.10:51820").value();
  a.persistent_keepalive = 25;
  a.replace_allowed_ips = std::vector{pfx("100.64.0.7/32"), pfx("fd7a:115c:a1e0::7/128")};
  WgPeerChange b;
  b.public_key = filled(0x43);
  b.endpoint = Endpoint::parse("[2001:db8::3]:4000").value();
  b.replace_allowed_ips = std::vector{pfx("100.64.0.8/32")};
  c.peers = {a, b};
  CHECK(encode_set_request(c).reveal() == fixture("set_full.req"));
}

TEST_CASE("uapi: encoding incremental updates and removals", "[unit]") {
  WgChange c;
  WgPeerChange gone;
  gone.public_key = filled(0x01);
  gone.remove = true;
  gone.endpoint = Endpoint::parse("192.0.2.1:1").value();  // ignored with remove
  WgPeerChange upd;
  upd.public_key = filled(0x02);
  upd.update_only = true;
  upd.persistent_keepalive = 0;
  c.peers = {gone, upd};
  const std::string k1(64, '0');
  CHECK(encode_set_request(c).reveal() ==
        "set=1\n"
        "public_key=0101010101010101010101010101010101010101010101010101010101010101\n"
        "remove=true\n"
        "public_key=0202020202020202020202020202020202020202020202020202020202020202\n"
        "update_only=true\n"
        "persistent_keepalive_interval=0\n"
        "\n");
  // Clearing allowed IPs: replace with nothing.
  WgChange clear;
  WgPeerChange p;
  p.public_key = filled(0x03);
  p.update_only = true;
  p.replace_allowed_ips = std::vector<ward::net::Prefix>{};
  clear.peers = {p};
  CHECK(encode_set_request(clear).reveal() ==
        "set=1\npublic_key=0303030303030303030303030303030303030303030303030303030303030303\n"
        "update_only=true\nreplace_allowed_ips=true\n\n");
  WgChange drop;
  drop.replace_peers = true;
  CHECK(encode_set_request(drop).reveal() == "set=1\nreplace_peers=true\n\n");
}

TEST_CASE("uapi: parse recorded get responses", "[unit]") {
  auto empty = parse_get_response(fixture("get_empty.resp"));
  REQUIRE(empty);
  CHECK(empty->private_key.empty());
  CHECK(empty->listen_port == 53905);
  CHECK(empty->peers.empty());

  auto full = parse_get_response(fixture("get_after_set.resp"));
  REQUIRE(full);
  REQUIRE(full->private_key.size() == 32);
  CHECK(full->private_key.data()[0] == 0x40);  // clamped by the device
  CHECK(full->private_key.data()[31] == 0x41);
  CHECK(full->listen_port == 51820);
  REQUIRE(full->peers.size() == 2);
  const auto& a = full->peers[0];
  CHECK(a.public_key == filled(0x42));
  CHECK(a.has_preshared_key);
  CHECK(a.protocol_version == 1);
  CHECK(a.endpoint == Endpoint::parse("192.0.2.10:51820").value());
  CHECK(a.persistent_keepalive == 25);
  CHECK(a.allowed_ips == std::vector{pfx("100.64.0.7/32"), pfx("fd7a:115c:a1e0::7/128")});
  const auto& b = full->peers[1];
  CHECK_FALSE(b.has_preshared_key);
  CHECK(b.endpoint == Endpoint::parse("[2001:db8::3]:4000").value());
  CHECK(b.persistent_keepalive == 0);

  auto hs = parse_get_response(fixture("get_handshake.resp"));
  REQUIRE(hs);
  REQUIRE(hs->peers.size() == 2);
  const auto& live = hs->peers[1];
  CHECK(live.public_key.to_base64() == "v4qh/wmNbdA5kwVbHFaS2w1RNsR3xXqx1+P8nsZK6j4=");
  CHECK(live.last_handshake_sec == 1795887696);
  CHECK(live.last_handshake_nsec == 545240);
  CHECK(live.tx_bytes == 404);
  CHECK(live.rx_bytes == 348);
  CHECK(hs->peers[0].tx_bytes == 148);
}

TEST_CASE("uapi: errno handling, both signs", "[unit]") {
  CHECK(parse_set_response(fixture("set_ok.resp")));
  auto neg = parse_set_response(fixture("set_einval.resp"));
  REQUIRE_FALSE(neg);
  CHECK(neg.error().code() == ward::ErrorCode::kInvalidArgument);
  CHECK(neg.error().message().find("errno 22") != std::string::npos);
  auto pos = parse_set_response("errno=5\n\n");
  REQUIRE_FALSE(pos);
  CHECK(pos.error().code() == ward::ErrorCode::kIo);
  CHECK(pos.error().message().find("errno 5") != std::string::npos);
  auto get_err = parse_get_response("errno=-2\n\n");
  REQUIRE_FALSE(get_err);
  CHECK(get_err.error().message().find("errno 2") != std::string::npos);
  for (const char* bad :
       {"", "errno=0\n", "errno=0", "errno=x\n\n", "errno=\n\n", "errno=--1\n\n",
        "listen_port=1\nerrno=0\n\n", "\n\n", "errno=99999999\n\n", "errno=00\n\n"}) {
    INFO(bad);
    CHECK_FALSE(parse_set_response(bad));
  }
}

TEST_CASE("uapi: strict get parsing", "[unit]") {
  const std::string key(64, 'a');
  auto parse = [](const std::string& s) { return parse_get_response(s); };
  CHECK(parse("listen_port=1\nerrno=0\n\n"));
  CHECK_FALSE(parse("listen_port=65536\nerrno=0\n\n"));
  CHECK_FALSE(parse("listen_port=-1\nerrno=0\n\n"));
  CHECK_FALSE(parse("listen_port=1\n"));                     // truncated
  CHECK_FALSE(parse("bogus=1\nerrno=0\n\n"));                // unknown device key
  CHECK_FALSE(parse("allowed_ip=1.2.3.4/32\nerrno=0\n\n"));  // peer key before any peer
  CHECK_FALSE(parse("public_key=" + key + "\nlisten_port=1\nerrno=0\n\n"));  // device after peer
  CHECK_FALSE(parse("public_key=" + key + "\npublic_key=" + key + "\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=abc\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nallowed_ip=10.0.0.1/8\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nendpoint=nohost\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nlast_handshake_time_nsec=1000000000\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nprotocol_version=2\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nrx_bytes=18446744073709551616\nerrno=0\n\n"));
  CHECK_FALSE(parse("public_key=" + key + "\nnoequals\nerrno=0\n\n"));
  CHECK_FALSE(parse("errno=0\nlisten_port=1\nerrno=0\n\n"));
  // A bad private key is reported without echoing it.
  auto bad_priv = parse("private_key=" + std::string(63, 'b') + "z\nerrno=0\n\n");
  REQUIRE_FALSE(bad_priv);
  CHECK(bad_priv.error().message().find("bbbb") == std::string::npos);
  // Limits.
  ParseLimits lim;
  lim.max_peers = 1;
  CHECK_FALSE(parse_get_response(
      "public_key=" + key + "\npublic_key=" + std::string(64, 'b') + "\nerrno=0\n\n", lim));
  lim = {};
  lim.max_response_bytes = 10;
  CHECK_FALSE(parse_get_response(fixture("get_empty.resp"), lim));
  lim = {};
  lim.max_line_bytes = 20;
  CHECK_FALSE(parse_get_response("public_key=" + key + "\nerrno=0\n\n", lim));
  // Allowed IPs come back normalized.
  auto st = parse("public_key=" + key + "\nallowed_ip=10.0.0.2/32\nallowed_ip=10.0.0.1/32\n" +
                  "allowed_ip=10.0.0.2/32\nerrno=0\n\n");
  REQUIRE(st);
  CHECK(st->peers[0].allowed_ips == std::vector{pfx("10.0.0.1/32"), pfx("10.0.0.2/32")});
}

TEST_CASE("uapi: encode then parse round trip through a simulated device", "[unit]") {
  // The request keys are exactly the ones a get response uses, in the same spelling.
  WgChange c;
  c.listen_port = 1234;
  WgPeerChange p;
  p.public_key = filled(0x09);
  p.endpoint = Endpoint::parse("198.51.100.4:9").value();
  p.persistent_keepalive = 10;
  p.replace_allowed_ips = std::vector{pfx("100.64.0.9/32")};
  c.peers = {p};
  std::string req(encode_set_request(c).reveal());
  // Turn the request into a response body: drop set=1 / replace lines, add errno.
  std::string resp;
  std::size_t pos = 0;
  while (pos < req.size()) {
    auto nl = req.find('\n', pos);
    std::string line = req.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line == "set=1" || line == "replace_allowed_ips=true") continue;
    resp += line + "\n";
  }
  resp += "errno=0\n\n";
  auto st = parse_get_response(resp);
  REQUIRE(st);
  CHECK(st->listen_port == 1234);
  REQUIRE(st->peers.size() == 1);
  CHECK(st->peers[0].endpoint == p.endpoint);
  CHECK(st->peers[0].persistent_keepalive == 10);
  CHECK(st->peers[0].allowed_ips == *p.replace_allowed_ips);
}
