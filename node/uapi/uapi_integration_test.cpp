// Integration: Debian's wireguard-go in a network namespace of our own, configured via
// UapiBackend, checked with `wg show` (per-field listings, never the private key). Needs root.
//
//   [ netns wardu-<pid>-0-<tag> ]
//      wireguard-go -f wgu<tag><pid%100000>   <-- UAPI --  this test (host side, shared socket dir)
#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <signal.h>
#include <thread>

#include <catch2/catch.hpp>

#include "node/reconcile/diff.hpp"
#include "node/uapi/client.hpp"
#include "node/uapi/supervisor.hpp"
#include "node/uapi/test_fixtures.hpp"
#include "node/uapi/test_netns_runner.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/require.hpp"
#include "tests/support/wg_show.hpp"

using namespace ward::node;
using namespace ward::node::uapi;
using ward::testing::required;

namespace {

// A get response with its peer blocks sorted (device lines first, errno last).
std::string canonical(std::string_view resp) {
  std::string head;
  std::vector<std::string> blocks;
  std::size_t pos = 0;
  while (pos < resp.size()) {
    const auto nl = resp.find('\n', pos);
    const std::string line(resp.substr(pos, nl - pos + 1));
    pos = nl == std::string_view::npos ? resp.size() : nl + 1;
    if (line.rfind("public_key=", 0) == 0) {
      blocks.push_back(line);
    } else if (line.rfind("errno=", 0) == 0 || line == "\n" || blocks.empty()) {
      head += line;
    } else {
      blocks.back() += line;
    }
  }
  std::sort(blocks.begin(), blocks.end());
  for (const auto& b : blocks)
    head += b;
  return head;
}

// Owns a namespace and the supervised wireguard-go in it; removes both (and the UAPI
// socket wireguard-go leaves in the shared /var/run/wireguard) on scope exit, also when a
// REQUIRE fails.
struct NsGuard {
  ward::testing::Topology topo{"wardu"};
  ward::testing::Netns* ns = nullptr;
  std::string iface;
  std::optional<testing::NetnsRunner> runner;
  std::optional<WireGuardGoSupervisor> sup;
  explicit NsGuard(const std::string& tag) : iface("wgu" + tag + topo.short_tag()) {
    ns = required(topo.add_namespace(tag));
    runner.emplace(*ns);
    sup.emplace(iface, *runner, testing::slow_start());
  }
  ~NsGuard() {
    if (sup) (void)sup->stop();
    if (ns != nullptr) ns->kill_all();
    std::remove(("/var/run/wireguard/" + iface + ".sock").c_str());
  }
  ward::testing::ShellRunner shell() const {
    return [this](const std::string& c) { return ns->exec(c); };
  }
};

ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

WgKey key_of(std::uint8_t b) {
  std::array<std::uint8_t, 32> a{};
  a.fill(b);
  return WgKey(a);
}

}  // namespace

TEST_CASE("uapi integration: desired state through UapiBackend matches wg show", "[integration]") {
  NsGuard g("a");
  auto started = g.sup->check();
  REQUIRE(started);
  CHECK(*started == SuperviseResult::kStarted);
  UapiBackend backend(UapiClient(socket_path_for(g.iface).value()));

  WgConfig desired;
  desired.private_key = ward::SecretBytes(32);
  for (auto& b : desired.private_key.span())
    b = 0x41;
  clamp_private_key(desired.private_key);
  desired.listen_port = 51999;
  desired.peers.push_back({key_of(0x42),
                           {pfx("100.64.0.7/32"), pfx("fd7a:115c:a1e0::7/128")},
                           Endpoint::parse("192.0.2.10:51820").value(),
                           25});
  desired.peers.push_back(
      {key_of(0x43), {pfx("100.64.0.8/32")}, Endpoint::parse("[2001:db8::3]:4000").value(), 0});

  auto actual = backend.get();
  REQUIRE(actual);
  REQUIRE(backend.apply(diff_wireguard(desired, *actual)));

  // Device: the public key of the private key we set (0x41 x 32, clamped:
  // "QEFBQUFB...QUE=", as `wg pubkey` derives it), and the port.
  auto device = required(ward::testing::wg_show_device(g.shell(), g.iface));
  CHECK(device.public_key == "ehpOcJvwhaxJSroEabmx7aCrH3ixaqu3n/7akGI+hSI=");
  CHECK(device.listen_port == 51999);
  // Peers by public key (wg show sorts them by activity, not by key).
  auto peers = required(ward::testing::wg_show_peers(g.shell(), g.iface));
  REQUIRE(peers.size() == 2);
  REQUIRE(peers.count(key_of(0x42).to_base64()));
  REQUIRE(peers.count(key_of(0x43).to_base64()));
  const auto& a = peers[key_of(0x42).to_base64()];
  CHECK(a.endpoint == "192.0.2.10:51820");
  CHECK(a.allowed_ips == std::vector<std::string>{"100.64.0.7/32", "fd7a:115c:a1e0::7/128"});
  CHECK(a.persistent_keepalive == 25);
  const auto& b = peers[key_of(0x43).to_base64()];
  CHECK(b.endpoint == "[2001:db8::3]:4000");
  CHECK(b.allowed_ips == std::vector<std::string>{"100.64.0.8/32"});
  CHECK(b.persistent_keepalive == 0);
  // No preshared keys were set (the listing prints keys only; "(none)" when unset).
  const auto psks = required(ward::testing::parse_wg_show_field(
      g.ns->exec("wg show " + g.iface + " preshared-keys").output));
  CHECK(psks.at(key_of(0x42).to_base64()) == "(none)");
  CHECK(psks.at(key_of(0x43).to_base64()) == "(none)");

  // Converged: the real device diffs to nothing.
  auto again = backend.get();
  REQUIRE(again);
  CHECK(diff_wireguard(desired, *again).empty());

  // Incremental: move one endpoint, drop the other peer.
  desired.peers[0].endpoint = Endpoint::parse("198.51.100.1:1111").value();
  desired.peers.pop_back();
  auto change = diff_wireguard(desired, *again);
  REQUIRE(change.peers.size() == 2);
  REQUIRE(backend.apply(change));
  peers = required(ward::testing::wg_show_peers(g.shell(), g.iface));
  REQUIRE(peers.size() == 1);
  REQUIRE(peers.count(key_of(0x42).to_base64()));
  CHECK(peers[key_of(0x42).to_base64()].endpoint == "198.51.100.1:1111");
  CHECK(peers[key_of(0x42).to_base64()].allowed_ips ==
        std::vector<std::string>{"100.64.0.7/32", "fd7a:115c:a1e0::7/128"});

  // An invalid request is refused with the device's errno, and changes nothing.
  auto bad = UapiClient(socket_path_for(g.iface).value()).exchange("set=1\nlisten_port=x\n\n");
  REQUIRE(bad);
  CHECK_FALSE(parse_set_response(bad->reveal()));

  // The supervisor restarts a killed wireguard-go; the new device is empty.
  REQUIRE(g.sup->child_pid());
  ::kill(*g.sup->child_pid(), SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto restarted = g.sup->check();
  REQUIRE(restarted);
  CHECK(*restarted == SuperviseResult::kRestarted);
  auto fresh = backend.get();
  REQUIRE(fresh);
  CHECK(fresh->peers.empty());
  CHECK(g.sup->check().value() == SuperviseResult::kServing);
}

TEST_CASE("uapi integration: the recorded exchange still matches wireguard-go", "[integration]") {
  NsGuard g("b");
  REQUIRE(g.sup->check());
  UapiClient client(socket_path_for(g.iface).value());
  auto set = client.exchange(testing::fixture("set_full.req"));
  REQUIRE(set);
  CHECK(set->reveal() == testing::fixture("set_ok.resp"));
  auto get = client.exchange(kGetRequest);
  REQUIRE(get);
  // wireguard-go lists peers in Go map order: compare with peer blocks sorted.
  CHECK(canonical(get->reveal()) == canonical(testing::fixture("get_after_set.resp")));
}
