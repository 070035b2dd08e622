// Several ward-node daemons against a real ward-controller (see multinode_fixture.hpp for
// the topology): each node in its own network namespace with wireguard-go (or, in the
// last case, Ward's own engine inside ward-node), enrolled with an enrollment key and
// approved through the admin API; the policy is set through the admin API; tunnels are
// checked with `wg show` and real TCP traffic over the overlay.
//
//   policy "a -> b tcp:8080": A and B peer with each other, B admits A on 8080 only, A
//   admits nothing new, a third node C (in no rule) has no peers and is no one's peer.
//
// Timings (policy propagation, revocation, reconnection) are printed as "[timing] ..."
// on stderr.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <signal.h>
#include <thread>

#include <catch2/catch.hpp>

#include "common/uv/testing.hpp"
#include "node/daemon/multinode_fixture.hpp"

using namespace ward;
using namespace ward::node::testing;
using namespace std::chrono_literals;
using ward::testing::eventually;

namespace {

using Keys = std::set<std::string>;

void report_time(const std::string& what, std::chrono::milliseconds took) {
  std::fprintf(stderr, "[timing] %s: %lld ms\n", what.c_str(),
               static_cast<long long>(took.count()));
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::int64_t counter(const NodeUnderTest& n, const char* field) {
  auto st = n.status();
  WARD_REQUIRE_OK(st);
  const auto& v = (*st)["filter"][field];
  return v.is_number() ? v.get<std::int64_t>() : -1;
}

// Waits until each node lists exactly the expected peers; returns how long it took.
std::optional<std::chrono::milliseconds> converge(
    const std::vector<std::pair<NodeUnderTest*, Keys>>& expected,
    std::chrono::milliseconds limit = 20s) {
  return eventually(
      [&] {
        for (const auto& [node, keys] : expected)
          if (node->peer_keys() != keys) return false;
        return true;
      },
      limit, 20ms);
}

// A connection attempt that must not get through: no answer at all within the limit
// (dropped), or refused locally because there is no tunnel to the address.
bool blocked(NodeUnderTest& from, const std::string& ip, std::uint16_t port,
             std::chrono::milliseconds limit = 2s) {
  auto c = from.connect(ip, port, limit);
  return !c.fd.valid();
}

// `wg show` on node `on` lists `peer` with its overlay addresses and underlay endpoint.
void check_peer_entry(const NodeUnderTest& on, const NodeUnderTest& peer) {
  const auto e = on.wg_peers().at(peer.public_key);
  CHECK(sorted(e.allowed_ips) == sorted({peer.overlay_v4 + "/32", peer.overlay_v6 + "/128"}));
  CHECK(e.endpoint == peer.underlay_ip + ":51820");
}

// A connection from `from` to `to`'s overlay IPv4 address and `port` that `to`'s filter must
// drop: the SYNs cross the tunnel (to's rx counter for `from` grows), the filter counts
// them and nothing comes back (the connect times out, no reset).
void check_filter_drops(NodeUnderTest& from, NodeUnderTest& to, std::uint16_t port) {
  const auto dropped = counter(to, "dropped_packets");
  const auto rx = to.wg_peers().at(from.public_key).rx_bytes;
  auto c = from.connect(to.overlay_v4, port, 2s);
  CHECK_FALSE(c.fd.valid());
  CHECK(c.err == ETIMEDOUT);
  CHECK(counter(to, "dropped_packets") > dropped);
  CHECK(to.wg_peers().at(from.public_key).rx_bytes > rx);
}

// A TCP connection from `from` to `to`'s overlay IPv4 address, accepted on `listener`
// (on `to`) and kept open; exchange() sends a line each way over it.
struct LongConnection {
  ward::testing::TcpConnect client;
  ward::testing::UniqueFd server;
  LongConnection(NodeUnderTest& from, const NodeUnderTest& to, std::uint16_t port, int listener)
      : client(from.connect(to.overlay_v4, port, 5s)) {
    REQUIRE(client.fd.valid());
    auto accepted = ward::testing::accept_tcp(listener, 5s);
    WARD_REQUIRE_OK(accepted);
    server = std::move(*accepted);
  }
  Status exchange(const std::string& word) {
    WARD_RETURN_IF_ERROR(ward::testing::send_all(client.fd.get(), word, 3s));
    WARD_ASSIGN_OR_RETURN(auto got, ward::testing::recv_exact(server.get(), word.size(), 3s));
    if (got != word) return Error::corruption("got " + quote(got));
    WARD_RETURN_IF_ERROR(ward::testing::send_all(server.get(), word, 3s));
    WARD_ASSIGN_OR_RETURN(got, ward::testing::recv_exact(client.fd.get(), word.size(), 3s));
    if (got != word) return Error::corruption("got back " + quote(got));
    return ok();
  }
};

// The A -> B tcp:8080 setup most tests start from: nodes a (on `a_backend`) and b, the
// policy, both tunnels up.
struct TwoNodes {
  Cluster cluster;
  NodeUnderTest& a;
  NodeUnderTest& b;
  explicit TwoNodes(const std::string& a_backend = "uapi")
      : a(cluster.add_node("a", a_backend)), b(cluster.add_node("b")) {
    cluster.set_policy({Cluster::allow("a", "b", "8080")});
    auto took = converge({{&a, {b.public_key}}, {&b, {a.public_key}}});
    INFO("a log:\n" << a.logs() << "\nb log:\n" << b.logs());
    REQUIRE(took);
    report_time("policy a->b:8080 to tunnels on both nodes", *took);
  }
};

}  // namespace

TEST_CASE("multinode: two nodes get exactly the tunnel and the port the policy allows",
          "[integration]") {
  Cluster cluster;
  auto& a = cluster.add_node("a");
  auto& b = cluster.add_node("b");
  auto a8080 = a.listen(8080);
  auto b8080 = b.listen(8080);
  auto b9090 = b.listen(9090);

  // Approved and connected, but no policy yet: no peers, nothing admitted.
  {
    auto took = eventually([&] { return a.connected() && b.connected(); }, 30s);
    INFO("a log:\n" << a.logs() << "\nb log:\n" << b.logs());
    REQUIRE(took);
    report_time("approval to both streams connected", *took);
  }
  CHECK(a.peer_keys().empty());
  CHECK(b.peer_keys().empty());
  CHECK(blocked(a, b.overlay_v4, 8080));

  cluster.set_policy({Cluster::allow("a", "b", "8080")});
  auto took = converge({{&a, {b.public_key}}, {&b, {a.public_key}}});
  INFO("a log:\n" << a.logs() << "\nb log:\n" << b.logs());
  REQUIRE(took);
  report_time("policy a->b:8080 to tunnels on both nodes", *took);

  // wg show: each side has the other with its overlay addresses and underlay endpoint.
  check_peer_entry(a, b);
  check_peer_entry(b, a);

  // B admits A on 8080 (one rule); A admits nothing new.
  REQUIRE(eventually([&] { return counter(b, "accept_rules") >= 1; }, 10s));
  CHECK(counter(a, "accept_rules") == 0);

  // The allowed port works over IPv4 and IPv6, replies included (A's filter passes them
  // as established).
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v6, 8080, b8080.get(), 5s));

  // A blocked port on the allowed peer: B has a listener on 9090 (it answers locally),
  // but A's SYN is dropped by B's filter (no reset: the connect times out) and counted.
  {
    auto local = b.connect("127.0.0.1", 9090, 2s);
    CHECK(local.fd.valid());
    auto accepted = ward::testing::accept_tcp(b9090.get(), 2s);
    CHECK(accepted.ok());
  }
  // The tunnel itself carries the SYNs to B: the drop is B's filter, not a missing peer.
  check_filter_drops(a, b, 9090);
  // The other direction is not allowed: B -> A:8080 is dropped by A's filter.
  check_filter_drops(b, a, 8080);
  // 8080 on B still works after all that.
  CHECK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s).ok());
}

TEST_CASE("multinode: a node in no rule gets no peers and is no one's peer", "[integration]") {
  Cluster cluster;
  auto& a = cluster.add_node("a");
  auto& b = cluster.add_node("b");
  auto& c = cluster.add_node("c");
  auto b8080 = b.listen(8080);
  auto a8080 = a.listen(8080);

  cluster.set_policy({Cluster::allow("a", "b", "8080")});
  auto took = converge({{&a, {b.public_key}}, {&b, {a.public_key}}, {&c, {}}});
  INFO("c log:\n" << c.logs());
  REQUIRE(took);
  report_time("policy to tunnels (three nodes)", *took);

  // C is connected and has applied a netmap: it is empty on purpose, not missing.
  REQUIRE(eventually(
      [&] {
        auto st = c.status();
        return st && (*st)["controller"]["connected"] == true &&
               !(*st)["controller"]["last_serial"].is_null();
      },
      20s));
  CHECK(c.peer_keys().empty());
  CHECK(counter(c, "accept_rules") == 0);
  CHECK_FALSE(a.peer_keys().contains(c.public_key));
  CHECK_FALSE(b.peer_keys().contains(c.public_key));

  // A reaches B; C reaches neither (no tunnel), even on the port A may use.
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  CHECK(blocked(c, b.overlay_v4, 8080));
  CHECK(blocked(c, a.overlay_v4, 8080));
  // Still nothing on C after the traffic (no peer appeared on demand).
  CHECK(c.peer_keys().empty());
}

TEST_CASE(
    "multinode: a policy change adds a tunnel and its removal stops it without flapping "
    "the others",
    "[integration]") {
  Cluster cluster;
  auto& a = cluster.add_node("a");
  auto& b = cluster.add_node("b");
  auto& c = cluster.add_node("c");
  auto b8080 = b.listen(8080);
  auto c8080 = c.listen(8080);

  cluster.set_policy({Cluster::allow("a", "b", "8080")});
  REQUIRE(converge({{&a, {b.public_key}}, {&b, {a.public_key}}, {&c, {}}}));
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  CHECK(blocked(a, c.overlay_v4, 8080));
  const auto ab_before = a.wg_peers().at(b.public_key);
  REQUIRE(ab_before.tx_bytes > 0);

  // Add a -> c:8080.
  auto start = std::chrono::steady_clock::now();
  cluster.set_policy({Cluster::allow("a", "b", "8080"), Cluster::allow("a", "c", "8080")});
  auto put_took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  auto took = converge({{&a, {b.public_key, c.public_key}}, {&c, {a.public_key}}});
  INFO("a log:\n" << a.logs() << "\nc log:\n" << c.logs());
  REQUIRE(took);
  report_time("PUT policy (adding a->c) answered", put_took);
  report_time("added rule a->c to tunnels on a and c (after the PUT answered)", *took);
  CHECK(b.peer_keys() == Keys{a.public_key});
  WARD_REQUIRE_OK(tcp_round_trip(a, c.overlay_v4, 8080, c8080.get(), 5s));
  // B's tunnel was not touched: its counters only grew (a re-added peer starts at 0).
  const auto ab_mid = a.wg_peers().at(b.public_key);
  CHECK(ab_mid.tx_bytes >= ab_before.tx_bytes);
  CHECK(ab_mid.rx_bytes >= ab_before.rx_bytes);

  // An open connection a -> c, then the rule goes away.
  auto conn = a.connect(c.overlay_v4, 8080, 5s);
  REQUIRE(conn.fd.valid());
  auto server = ward::testing::accept_tcp(c8080.get(), 5s);
  WARD_REQUIRE_OK(server);
  WARD_REQUIRE_OK(ward::testing::send_all(conn.fd.get(), "before\n", 2s));
  WARD_REQUIRE_OK(ward::testing::recv_exact(server->get(), 7, 2s));

  start = std::chrono::steady_clock::now();
  cluster.set_policy({Cluster::allow("a", "b", "8080")});
  put_took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  took = converge({{&a, {b.public_key}}, {&c, {}}});
  REQUIRE(took);
  report_time("removed rule a->c to tunnels gone on a and c (after the PUT answered)", *took);
  (void)put_took;

  // The open connection carries nothing any more, and a new one does not get through.
  WARD_REQUIRE_OK(ward::testing::send_all(conn.fd.get(), "after\n", 2s));
  CHECK_FALSE(ward::testing::recv_exact(server->get(), 6, 2s).ok());
  CHECK(blocked(a, c.overlay_v4, 8080));
  // A <-> B still works and was never re-added.
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  const auto ab_after = a.wg_peers().at(b.public_key);
  CHECK(ab_after.tx_bytes > ab_mid.tx_bytes);
  CHECK(ab_after.rx_bytes > ab_mid.rx_bytes);
}

TEST_CASE("multinode: revoking a device removes it from its peers within a second and stops it",
          "[integration]") {
  TwoNodes t;
  auto& a = t.a;
  auto& b = t.b;
  auto b8080 = b.listen(8080);
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  REQUIRE(eventually([&] { return b.connected(); }, 10s));
  const std::string connected_line = "connected to the controller stream";
  auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1))
      ++n;
    return n;
  };

  const auto start = std::chrono::steady_clock::now();
  auto r = t.cluster.admin_call("POST", "/v1/admin/devices/" + b.device_id + "/revoke",
                                {{"reason", "laptop reported stolen"}});
  const auto answered = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json["status"] == "revoked");

  // A drops B within 1 s of the revocation being answered.
  auto gone = eventually([&] { return a.peer_keys().empty(); }, 5s, 10ms);
  REQUIRE(gone);
  report_time("revoke answered", answered);
  report_time("revoked peer gone from a's wg show (after the answer)", *gone);
  CHECK(*gone < 1000ms);

  // B: every peer and every accept gone, the stream closed, the daemon reports it.
  auto stopped = eventually([&] { return b.state().starts_with("stopped: revoked"); }, 5s);
  INFO("b log:\n" << b.logs());
  REQUIRE(stopped);
  report_time("b reports stopped: revoked", *stopped);
  CHECK(b.peer_keys().empty());
  CHECK(counter(b, "accept_rules") == 0);
  CHECK_FALSE(b.connected());
  REQUIRE(b.process->running());
  const std::size_t connects = count(b.logs(), connected_line);
  CHECK(blocked(a, b.overlay_v4, 8080));
  // It stays stopped: no reconnection attempts.
  std::this_thread::sleep_for(3s);
  CHECK(b.state().starts_with("stopped: revoked"));
  CHECK_FALSE(b.connected());
  CHECK(count(b.logs(), connected_line) == connects);
  CHECK(b.peer_keys().empty());

  // `ward-node down` ends it cleanly.
  auto down = b.down();
  INFO(down.output);
  CHECK(down.ok());
  CHECK(b.process->wait_exit(15s) == 0);
}

TEST_CASE(
    "multinode: a controller killed with -9 does not disturb tunnels and after a restart the "
    "nodes reconnect and policy changes propagate",
    "[integration]") {
  TwoNodes t;
  auto& a = t.a;
  auto& b = t.b;
  auto a8080 = a.listen(8080);
  auto b8080 = b.listen(8080);
  REQUIRE(eventually([&] { return a.connected() && b.connected(); }, 10s));

  // A long-lived connection a -> b across the whole outage.
  LongConnection conn(a, b, 8080, b8080.get());
  auto exchange = [&](const std::string& word) { return conn.exchange(word); };
  WARD_REQUIRE_OK(exchange("one\n"));
  const auto before = a.wg_peers().at(b.public_key);

  t.cluster.kill_controller();
  auto down_seen = eventually([&] { return !a.connected() && !b.connected(); }, 15s);
  REQUIRE(down_seen);
  report_time("controller killed to both nodes seeing the stream down", *down_seen);

  // Without a controller: the tunnel carries the open connection and new ones; the
  // filter still drops what it dropped.
  CHECK(exchange("two\n").ok());
  CHECK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s).ok());
  CHECK(blocked(b, a.overlay_v4, 8080));
  CHECK(a.peer_keys() == Keys{b.public_key});
  CHECK(b.peer_keys() == Keys{a.public_key});
  std::this_thread::sleep_for(2s);  // an outage of a few seconds
  CHECK(exchange("three\n").ok());

  // Same address, same data: both nodes come back on their own.
  t.cluster.restart_controller();
  auto back = eventually([&] { return a.connected() && b.connected(); }, 90s, 100ms);
  INFO("a log:\n" << a.logs() << "\nb log:\n" << b.logs());
  REQUIRE(back);
  report_time("controller restarted to both nodes reconnected", *back);
  CHECK(exchange("four\n").ok());
  CHECK(a.peer_keys() == Keys{b.public_key});
  CHECK(b.peer_keys() == Keys{a.public_key});
  // The peer was never removed and re-added (its counters would restart from zero).
  const auto after = a.wg_peers().at(b.public_key);
  CHECK(after.tx_bytes > before.tx_bytes);
  CHECK(after.rx_bytes > before.rx_bytes);

  // A policy change still reaches the nodes: now b may open 8080 on a too.
  const auto a_rules = counter(a, "accept_rules");
  CHECK(a_rules == 0);
  t.cluster.set_policy({Cluster::allow("a", "b", "8080"), Cluster::allow("b", "a", "8080")});
  auto took = eventually([&] { return counter(a, "accept_rules") >= 1; }, 20s, 20ms);
  REQUIRE(took);
  report_time("policy change after the restart to a's filter", *took);
  WARD_REQUIRE_OK(tcp_round_trip(b, a.overlay_v4, 8080, a8080.get(), 5s));
  CHECK(exchange("five\n").ok());
}

TEST_CASE(
    "multinode: ward-node down leaves no interface or socket or nftables table or engine process",
    "[integration]") {
  const std::string backend = GENERATE(as<std::string>{}, "uapi", "builtin");
  INFO("a's backend: " << backend);
  TwoNodes t(backend);
  auto& a = t.a;
  const std::string ctl_socket = a.state_dir + "/ward-node.sock";
  const std::string uapi_socket = "/var/run/wireguard/" + a.iface + ".sock";
  auto link_exists = [&] { return a.ns.exec("ip link show dev " + a.iface).ok(); };
  auto nft_table = [&] {
    return a.ns.exec("nft list tables").output.find("ward_" + a.iface) != std::string::npos;
  };
  auto wireguard_go = [&] {
    return ward::testing::processes_with_args({"wireguard-go", "-f", a.iface});
  };

  // Everything is there while it runs (so the checks below can fail).
  CHECK(link_exists());
  CHECK(std::filesystem::exists(ctl_socket));
  CHECK(std::filesystem::exists(uapi_socket));
  CHECK(nft_table());
  CHECK(wireguard_go().empty() == (backend == "builtin"));  // builtin: inside ward-node

  auto down = a.down();
  INFO(down.output);
  CHECK(down.ok());
  CHECK(a.process->wait_exit(15s) == 0);

  CHECK_FALSE(link_exists());
  CHECK_FALSE(std::filesystem::exists(ctl_socket));
  CHECK_FALSE(std::filesystem::exists(uapi_socket));
  CHECK_FALSE(nft_table());
  CHECK(wireguard_go().empty());
  CHECK(a.ns.pids().empty());  // nothing at all left running in the node's namespace

  // A second `down` (no daemon) is fine and still leaves nothing.
  CHECK(a.down().ok());
  CHECK_FALSE(link_exists());
  // The other node is untouched by a's teardown.
  CHECK(t.b.process->running());
  CHECK(t.b.connected());
}

TEST_CASE(
    "multinode: a node on the builtin engine and a node on wireguard-go get exactly the allowed "
    "port and the engine is supervised and dies with its node",
    "[integration]") {
  TwoNodes t("builtin");  // a on Ward's engine, b on wireguard-go; a -> b tcp:8080
  auto& a = t.a;
  auto& b = t.b;
  auto a8080 = a.listen(8080);
  auto b8080 = b.listen(8080);
  auto b9090 = b.listen(9090);
  auto link_exists = [&] { return a.ns.exec("ip link show dev " + a.iface).ok(); };
  auto backend_of = [](const NodeUnderTest& n) {
    auto st = n.status();
    return st ? (*st)["device"]["wg_backend"].get<std::string>() : st.error().message();
  };
  CHECK(backend_of(a) == "builtin");
  CHECK(backend_of(b) == "uapi");
  // The engine runs inside ward-node: no other process in a's namespace (b's has
  // wireguard-go next to ward-node).
  CHECK(a.ns.pids() == std::vector<pid_t>{a.process->pid()});
  CHECK(b.ns.pids().size() == 2);

  // `wg show` reads the builtin engine like wireguard-go.
  check_peer_entry(a, b);
  check_peer_entry(b, a);
  REQUIRE(eventually([&] { return counter(b, "accept_rules") >= 1; }, 10s));

  // Allowed: a -> b:8080 in both families (the builtin engine initiates).
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 5s));
  WARD_REQUIRE_OK(tcp_round_trip(a, b.overlay_v6, 8080, b8080.get(), 5s));
  CHECK(a.wg_peers().at(b.public_key).latest_handshake > 0);
  // Blocked: a -> b:9090 by b's filter, after the builtin engine sealed the SYNs; b ->
  // a:8080 by a's filter, after the builtin engine decrypted them.
  check_filter_drops(a, b, 9090);
  check_filter_drops(b, a, 8080);

  // Someone deletes the interface under the engine: ward-node starts the engine again
  // and reconfigures it (peers, addresses, routes) on its next check (every second).
  REQUIRE(a.ns.exec("ip link del dev " + a.iface).ok());
  {
    const auto t0 = std::chrono::steady_clock::now();
    auto back_up = eventually(
        [&] {
          auto keys = a.try_peer_keys();
          return keys && *keys == Keys{b.public_key} &&
                 tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 1s).ok();
        },
        20s, 100ms);
    INFO("a log:\n" << a.logs());
    REQUIRE(back_up);
    report_time("interface deleted -> engine restarted and traffic flowing",
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - t0));
    CHECK(a.logs().find("Ward's WireGuard engine stopped") != std::string::npos);
  }

  // SIGKILL: the tunnel dies with the node (no engine process outlives it) ...
  a.process->signal(SIGKILL);
  REQUIRE(a.process->wait_exit(10s));
  CHECK(eventually([&] { return !link_exists(); }, 5s));
  CHECK(blocked(a, b.overlay_v4, 8080));
  // ... and a restart with the same identity brings it back. (`down` for the builtin
  // engine: the test case about down.)
  a.start("");
  REQUIRE(eventually([&] { return tcp_round_trip(a, b.overlay_v4, 8080, b8080.get(), 1s).ok(); },
                     20s, 100ms));
  CHECK(b.process->running());
}

TEST_CASE(
    "multinode: a node restarted with the auto backend keeps the wireguard-go its uapi run left "
    "and its open connections",
    "[integration]") {
  TwoNodes t;  // a on wireguard-go (uapi)
  auto& a = t.a;
  auto& b = t.b;
  auto b8080 = b.listen(8080);
  LongConnection conn(a, b, 8080, b8080.get());
  WARD_REQUIRE_OK(conn.exchange("before\n"));
  const auto wireguard_go = ward::testing::processes_with_args({"wireguard-go", "-f", a.iface});
  REQUIRE(wireguard_go.size() == 1);

  // The node dies (or is upgraded) while wireguard-go keeps the interface and its tunnel;
  // it comes back with the default backend, which on this kernel would be builtin.
  a.process->signal(SIGKILL);
  REQUIRE(a.process->wait_exit(10s));
  WARD_REQUIRE_OK(conn.exchange("while the node is away\n"));
  // Explicitly builtin: refused, naming the holder, and the interface and its tunnel are
  // left alone.
  a.backend = "builtin";
  const auto refused = a.up_until_exit();
  INFO(refused.output);
  CHECK(refused.exit_code != 0);
  CHECK(refused.output.find("already held by another process") != std::string::npos);
  CHECK(ward::testing::processes_with_args({"wireguard-go", "-f", a.iface}) == wireguard_go);
  WARD_REQUIRE_OK(conn.exchange("after a refused start\n"));
  a.backend = "auto";
  a.start("");
  auto st = a.status();
  WARD_REQUIRE_OK(st);
  CHECK((*st)["device"]["wg_backend"] == "uapi");
  CHECK(a.logs().find("another userspace WireGuard already serves this interface") !=
        std::string::npos);
  // The same wireguard-go, the same tunnel, the open connection never cut.
  CHECK(ward::testing::processes_with_args({"wireguard-go", "-f", a.iface}) == wireguard_go);
  WARD_REQUIRE_OK(conn.exchange("after\n"));
  REQUIRE(eventually([&] { return a.connected(); }, 20s));
  CHECK(a.peer_keys() == Keys{b.public_key});
  WARD_REQUIRE_OK(conn.exchange("connected again\n"));
}
