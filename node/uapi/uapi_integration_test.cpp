// Integration: Debian's wireguard-go in a network namespace of our own, configured via
// UapiBackend, checked with `wg show IFACE dump`. Needs root.
//
//   [ netns wardui<pid> ]
//      wireguard-go -f wgui<pid>   <-- UAPI --  this test (host side, shared socket dir)
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <signal.h>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "node/reconcile/diff.hpp"
#include "node/uapi/client.hpp"
#include "node/uapi/supervisor.hpp"
#include "node/uapi/test_fixtures.hpp"

using namespace ward::node;
using namespace ward::node::uapi;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

// Runs children inside a namespace: `ip netns exec NS argv...` (ip execs the command, so
// the pid is the child's own).
class NetnsRunner final : public ProcessRunner {
 public:
  explicit NetnsRunner(std::string ns) : ns_(std::move(ns)) {}
  ward::Result<int> spawn(const std::vector<std::string>& argv) override {
    std::vector<std::string> full = {"ip", "netns", "exec", ns_};
    full.insert(full.end(), argv.begin(), argv.end());
    return inner_.spawn(full);
  }
  ward::Result<bool> exited(int pid) override { return inner_.exited(pid); }
  ward::Status terminate(int pid, std::chrono::milliseconds grace) override {
    return inner_.terminate(pid, grace);
  }

 private:
  std::string ns_;
  PosixProcessRunner inner_;
};

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

// Generous start timeout: the machine is shared and may be loaded.
WireGuardGoSupervisor::Options slow_ok() {
  WireGuardGoSupervisor::Options o;
  o.start_timeout = std::chrono::seconds(20);
  return o;
}

// Owns a namespace and the supervised wireguard-go in it; removes both on scope exit,
// also when a REQUIRE fails.
struct NsGuard {
  std::string ns;
  std::string iface;
  NetnsRunner runner;
  WireGuardGoSupervisor sup;
  explicit NsGuard(const std::string& tag)
      : ns("wardu" + tag + std::to_string(::getpid() % 100000)),
        iface("wgu" + tag + std::to_string(::getpid() % 100000)),
        runner(ns),
        sup(iface, runner, slow_ok()) {
    run("ip netns add " + ns);
  }
  ~NsGuard() {
    (void)sup.stop();
    run("ip netns del " + ns + " 2>/dev/null");
    std::remove(("/var/run/wireguard/" + iface + ".sock").c_str());
  }
  std::string wg_dump() { return run("ip netns exec " + ns + " wg show " + iface + " dump"); }
};

std::vector<std::vector<std::string>> dump_rows(const std::string& dump) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(dump);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::istringstream ls(line);
    std::string col;
    while (std::getline(ls, col, '\t'))
      cols.push_back(col);
    rows.push_back(cols);
  }
  return rows;
}

// Peer rows of a dump by public key (wg show sorts peers by activity, not by key).
std::map<std::string, std::vector<std::string>> peer_rows(
    const std::vector<std::vector<std::string>>& rows) {
  std::map<std::string, std::vector<std::string>> out;
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (!rows[i].empty()) out[rows[i][0]] = rows[i];
  return out;
}

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
  auto started = g.sup.check();
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

  auto rows = dump_rows(g.wg_dump());
  REQUIRE(rows.size() == 3);
  // Device: private, public, port, fwmark.
  CHECK(rows[0][0] == "QEFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=");
  CHECK(rows[0][2] == "51999");
  // Peers: public, psk, endpoint, allowed-ips, handshake, rx, tx, keepalive.
  auto peers = peer_rows(rows);
  REQUIRE(peers.count(key_of(0x42).to_base64()));
  REQUIRE(peers.count(key_of(0x43).to_base64()));
  const auto& a = peers[key_of(0x42).to_base64()];
  REQUIRE(a.size() == 8);
  CHECK(a[1] == "(none)");
  CHECK(a[2] == "192.0.2.10:51820");
  CHECK(a[3] == "100.64.0.7/32,fd7a:115c:a1e0::7/128");
  CHECK(a[7] == "25");
  const auto& b = peers[key_of(0x43).to_base64()];
  REQUIRE(b.size() == 8);
  CHECK(b[2] == "[2001:db8::3]:4000");
  CHECK(b[3] == "100.64.0.8/32");
  CHECK(b[7] == "off");

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
  rows = dump_rows(g.wg_dump());
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][2] == "198.51.100.1:1111");
  CHECK(rows[1][3] == "100.64.0.7/32,fd7a:115c:a1e0::7/128");

  // An invalid request is refused with the device's errno, and changes nothing.
  auto bad = UapiClient(socket_path_for(g.iface).value()).exchange("set=1\nlisten_port=x\n\n");
  REQUIRE(bad);
  CHECK_FALSE(parse_set_response(bad->reveal()));

  // The supervisor restarts a killed wireguard-go; the new device is empty.
  REQUIRE(g.sup.child_pid());
  ::kill(*g.sup.child_pid(), SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto restarted = g.sup.check();
  REQUIRE(restarted);
  CHECK(*restarted == SuperviseResult::kRestarted);
  auto fresh = backend.get();
  REQUIRE(fresh);
  CHECK(fresh->peers.empty());
  CHECK(g.sup.check().value() == SuperviseResult::kServing);
}

TEST_CASE("uapi integration: the recorded exchange still matches wireguard-go", "[integration]") {
  NsGuard g("b");
  REQUIRE(g.sup.check());
  UapiClient client(socket_path_for(g.iface).value());
  auto set = client.exchange(testing::fixture("set_full.req"));
  REQUIRE(set);
  CHECK(set->reveal() == testing::fixture("set_ok.resp"));
  auto get = client.exchange(kGetRequest);
  REQUIRE(get);
  // wireguard-go lists peers in Go map order: compare with peer blocks sorted.
  CHECK(canonical(get->reveal()) == canonical(testing::fixture("get_after_set.resp")));
}
