#include "node/wg/uapi.hpp"

#include <cerrno>

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

std::string key_hex(std::uint8_t fill) {
  return std::string(64, "0123456789abcdef"[fill & 15]);
}

TEST_CASE("uapi: parsers for keys, endpoints and prefixes", "[unit]") {
  auto k = parse_hex_key("00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF");
  REQUIRE(k);
  CHECK((*k)[1] == 0x11);
  CHECK(hex_key(*k) == "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  CHECK_FALSE(parse_hex_key("0011"));
  CHECK_FALSE(parse_hex_key(std::string(63, 'a') + "g"));

  auto e = parse_endpoint("192.0.2.1:51820");
  REQUIRE(e);
  CHECK(e->family == 4);
  CHECK(e->port == 51820);
  CHECK(to_string(*e) == "192.0.2.1:51820");
  auto e6 = parse_endpoint("[2001:db8::1]:1");
  REQUIRE(e6);
  CHECK(to_string(*e6) == "[2001:db8::1]:1");
  for (const char* bad :
       {"192.0.2.1", "192.0.2.1:65536", "192.0.2.1:", "host:1", "2001:db8::1:1", "[x]:1"}) {
    CHECK_FALSE(parse_endpoint(bad));
  }

  auto p = parse_prefix("100.64.1.2/10");
  REQUIRE(p);
  CHECK(to_string(*p) == "100.64.0.0/10");
  CHECK(to_string(*parse_prefix("fd7a::1/48")) == "fd7a::/48");
  CHECK(to_string(*parse_prefix("192.0.2.7")) == "192.0.2.7/32");
  CHECK_FALSE(parse_prefix("1.2.3.4/33"));
  CHECK_FALSE(parse_prefix("fd7a::/129"));
  CHECK_FALSE(parse_prefix("1.2.3.4/"));
  CHECK_FALSE(parse_prefix("nonsense/8"));
}

TEST_CASE("uapi: set then get round-trips the configuration", "[unit]") {
  Device d;
  Output out;
  PrivateKey priv = generate_private_key();
  PrivateKey peer_priv = generate_private_key();
  PublicKey peer_pub;
  REQUIRE(x25519_public(peer_pub, peer_priv.span()));
  const std::string req =
      "private_key=" + hex_key(priv.span()) +
      "\nlisten_port=51820\nreplace_peers=true\npublic_key=" + hex_key(peer_pub) +
      "\npreshared_key=" + key_hex(7) +
      "\nendpoint=192.0.2.2:51821\nreplace_allowed_ips=true\nallowed_ip=100.64.0.2/32\n"
      "allowed_ip=fd7a::2/128\npersistent_keepalive_interval=0\n";
  auto r = uapi_set(d, req, Time{}, out);
  REQUIRE(r.error == 0);
  CHECK(r.listen_port_changed);
  const std::string got = uapi_get(d);
  CHECK(got ==
        "private_key=" + hex_key(priv.span()) + "\nlisten_port=51820\npublic_key=" +
            hex_key(peer_pub) + "\npreshared_key=" + key_hex(7) +
            "\nprotocol_version=1\nendpoint=192.0.2.2:51821\nlast_handshake_time_sec=0\n"
            "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=0\n"
            "allowed_ip=100.64.0.2/32\nallowed_ip=fd7a::2/128\nerrno=0\n\n");
  // replace_allowed_ips swaps the set; remove drops the peer.
  r = uapi_set(
      d,
      "public_key=" + hex_key(peer_pub) + "\nreplace_allowed_ips=true\nallowed_ip=100.64.0.9/32\n",
      Time{}, out);
  REQUIRE(r.error == 0);
  CHECK_FALSE(r.listen_port_changed);
  CHECK(d.allowed_ips().size() == 1);
  r = uapi_set(d, "public_key=" + hex_key(peer_pub) + "\nremove=true\n", Time{}, out);
  REQUIRE(r.error == 0);
  CHECK(d.peers().empty());
  // update_only does not create.
  r = uapi_set(d,
               "public_key=" + hex_key(peer_pub) + "\nupdate_only=true\nallowed_ip=100.64.0.9/32\n",
               Time{}, out);
  REQUIRE(r.error == 0);
  CHECK(d.peers().empty());
}

TEST_CASE("uapi: malformed set requests change nothing", "[unit]") {
  Device d;
  Output out;
  PrivateKey peer_priv = generate_private_key();
  PublicKey peer_pub;
  REQUIRE(x25519_public(peer_pub, peer_priv.span()));
  const std::string head = "public_key=" + hex_key(peer_pub) + "\n";
  for (const std::string& bad :
       {head + "allowed_ip=100.64.0.1/40\n", head + "endpoint=nowhere\n", head + "bogus=1\n",
        std::string("bogus=1\n"), head + "persistent_keepalive_interval=70000\n",
        std::string("listen_port=x\n"), head + "remove=yes\n", std::string("private_key=zz\n"),
        head + "protocol_version=2\n", std::string("no equals sign\n")}) {
    INFO(bad);
    auto r = uapi_set(d, bad, Time{}, out);
    CHECK(r.error == EINVAL);
    CHECK_FALSE(r.message.empty());
    CHECK(d.peers().empty());
  }
  // A peer with the interface's own key is refused.
  PrivateKey priv = generate_private_key();
  PublicKey own;
  REQUIRE(x25519_public(own, priv.span()));
  auto r =
      uapi_set(d, "private_key=" + hex_key(priv.span()) + "\npublic_key=" + hex_key(own) + "\n",
               Time{}, out);
  CHECK(r.error == EINVAL);
  CHECK_FALSE(d.identity().has_key());
}

TEST_CASE("uapi: error text never contains key material", "[unit]") {
  Device d;
  Output out;
  const std::string secret = std::string(63, 'a') + "x";
  auto r = uapi_set(d, "private_key=" + secret + "\n", Time{}, out);
  CHECK(r.error == EINVAL);
  CHECK(r.message.find("aaaaaaaa") == std::string::npos);
}

}  // namespace
}  // namespace ward::wg
