// tests/support/wg_show: parsing `wg show <iface> <field>` output (recorded from
// wireguard-tools 1.0.20210914 against wireguard-go), and assembling peers from it.
#include "tests/support/wg_show.hpp"

#include <catch2/catch.hpp>

using namespace ward::testing;

namespace {

const std::string kKey1 = "t3kdz8P3mPZG0GkA/+viWoRYfNW/CFmWhGdJTcSCxgs=";
const std::string kKey2 = "L4QwtqmLeSIb15E1EkzKtinQkiZ96yaG1S2ukHpyZUw=";

CommandResult out(std::string text) {
  return {0, std::move(text)};
}

}  // namespace

TEST_CASE("wg show field listings parse into key -> value", "[unit]") {
  auto m = parse_wg_show_field(kKey1 + "\t10.1.0.0/24 fd00::1/128\n" + kKey2 + "\t(none)\n");
  REQUIRE(m.ok());
  CHECK(m->size() == 2);
  CHECK(m->at(kKey1) == "10.1.0.0/24 fd00::1/128");
  CHECK(m->at(kKey2) == "(none)");
  // `peers` lists keys alone; an empty listing is no peers.
  auto keys = parse_wg_show_field(kKey1 + "\n" + kKey2 + "\n");
  REQUIRE(keys.ok());
  CHECK(keys->at(kKey1).empty());
  CHECK(parse_wg_show_field("")->empty());
  // Not a key, a truncated key, a duplicate: rejected, naming the line.
  auto bad = parse_wg_show_field("interface: wg0\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("interface: wg0") != std::string::npos);
  CHECK_FALSE(parse_wg_show_field(kKey1.substr(1) + "\t0\n").ok());
  CHECK_FALSE(parse_wg_show_field(kKey1 + "\t0\n" + kKey1 + "\t1\n").ok());
}

TEST_CASE("wg_show_peers assembles every field per peer", "[unit]") {
  std::vector<std::string> asked;
  auto runner = [&](const std::string& cmd) {
    asked.push_back(cmd);
    if (cmd.ends_with(" peers")) return out(kKey1 + "\n" + kKey2 + "\n");
    if (cmd.ends_with(" allowed-ips"))
      return out(kKey1 + "\t100.64.0.2/32 fd7a:115c:a1e0::2/128\n" + kKey2 + "\t(none)\n");
    if (cmd.ends_with(" endpoints"))
      return out(kKey1 + "\t192.0.2.12:51820\n" + kKey2 + "\t(none)\n");
    if (cmd.ends_with(" latest-handshakes")) return out(kKey1 + "\t1764350000\n" + kKey2 + "\t0\n");
    if (cmd.ends_with(" transfer")) return out(kKey1 + "\t1234\t5678\n" + kKey2 + "\t0\t0\n");
    if (cmd.ends_with(" persistent-keepalive")) return out(kKey1 + "\t25\n" + kKey2 + "\toff\n");
    return CommandResult{1, "unexpected"};
  };
  auto peers = wg_show_peers(runner, "wm1a");
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 2);
  const auto& p1 = peers->at(kKey1);
  CHECK(p1.allowed_ips == std::vector<std::string>{"100.64.0.2/32", "fd7a:115c:a1e0::2/128"});
  CHECK(p1.endpoint == "192.0.2.12:51820");
  CHECK(p1.latest_handshake == 1764350000);
  CHECK(p1.rx_bytes == 1234);
  CHECK(p1.tx_bytes == 5678);
  CHECK(p1.persistent_keepalive == 25);
  const auto& p2 = peers->at(kKey2);
  CHECK(p2.allowed_ips.empty());
  CHECK(p2.endpoint.empty());
  CHECK(p2.latest_handshake == 0);
  CHECK(p2.persistent_keepalive == 0);
  // Never `dump` (it prints the private key).
  for (const auto& c : asked) {
    CHECK(c.find("dump") == std::string::npos);
    CHECK(c.find("'wm1a'") != std::string::npos);
  }
}

TEST_CASE("wg_show_peers reports a failing wg and malformed numbers", "[unit]") {
  auto failing = [](const std::string&) { return CommandResult{1, "Unable to access interface"}; };
  auto r = wg_show_peers(failing, "nope0");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("Unable to access interface") != std::string::npos);

  auto bad_transfer = [](const std::string& cmd) {
    if (cmd.ends_with(" transfer")) return out(kKey1 + "\t12x\t0\n");
    if (cmd.ends_with(" peers")) return out(kKey1 + "\n");
    return out(kKey1 + "\t0\n");
  };
  CHECK_FALSE(wg_show_peers(bad_transfer, "wg0").ok());
  auto bad_keepalive = [](const std::string& cmd) {
    if (cmd.ends_with(" peers")) return out(kKey1 + "\n");
    if (cmd.ends_with(" transfer")) return out(kKey1 + "\t1\t2\n");
    if (cmd.ends_with(" persistent-keepalive")) return out(kKey1 + "\t70000\n");  // > 16 bits
    return out(kKey1 + "\t0\n");
  };
  auto ka = wg_show_peers(bad_keepalive, "wg0");
  REQUIRE_FALSE(ka.ok());
  CHECK(ka.error().message().find("persistent-keepalive") != std::string::npos);
  // A peer that vanished between two listings is left out rather than half-filled.
  auto racing = [](const std::string& cmd) {
    if (cmd.ends_with(" peers")) return out(kKey1 + "\n" + kKey2 + "\n");
    if (cmd.ends_with(" transfer")) return out(kKey1 + "\t1\t2\n");
    return out(kKey1 + "\t0\n" + kKey2 + "\t0\n");
  };
  auto raced = wg_show_peers(racing, "wg0");
  REQUIRE(raced.ok());
  CHECK(raced->size() == 1);
  CHECK(raced->contains(kKey1));
}

TEST_CASE("wg_show_device reads the public key and listen port, never the private key", "[unit]") {
  std::vector<std::string> asked;
  std::string key_answer = kKey1 + "\n";
  std::string port_answer = "51820\n";
  auto runner = [&](const std::string& cmd) {
    asked.push_back(cmd);
    if (cmd.ends_with(" public-key")) return out(key_answer);
    if (cmd.ends_with(" listen-port")) return out(port_answer);
    return CommandResult{1, "unexpected"};
  };
  auto d = wg_show_device(runner, "wg0");
  REQUIRE(d.ok());
  CHECK(d->public_key == kKey1);
  CHECK(d->listen_port == 51820);
  for (const auto& c : asked) {
    CHECK(c.find("private") == std::string::npos);
    CHECK(c.find("dump") == std::string::npos);
  }
  // A device without a key yet.
  key_answer = "(none)\n";
  port_answer = "0\n";
  d = wg_show_device(runner, "wg0");
  REQUIRE(d.ok());
  CHECK(d->public_key.empty());
  CHECK(d->listen_port == 0);
  // Malformed answers are rejected, quoting them.
  key_answer = "not-a-key\n";
  d = wg_show_device(runner, "wg0");
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message().find("not-a-key") != std::string::npos);
  key_answer = kKey1 + "\n";
  port_answer = "65536\n";
  CHECK_FALSE(wg_show_device(runner, "wg0").ok());
  port_answer = "\n";
  CHECK_FALSE(wg_show_device(runner, "wg0").ok());
  auto failing = [](const std::string&) { return CommandResult{1, "No such device"}; };
  auto f = wg_show_device(failing, "nope0");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message().find("No such device") != std::string::npos);
}
