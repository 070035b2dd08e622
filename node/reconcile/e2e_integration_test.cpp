// End to end on real backends: two nodes, each a network namespace with Debian's
// wireguard-go, driven by the Reconciler through UapiBackend, RtnlAddressBackend,
// RtnlRouteBackend and NftFilterBackend. Needs root.
//
//   [ wardea<pid> ]                                       [ wardeb<pid> ]
//    wgea<pid> 100.64.0.1  ==== WireGuard over veth ====   wgeb<pid> 100.64.0.2
//    vea<pid> 192.0.2.1/24 <--------------------------->  veb<pid> 192.0.2.2/24
//   A admits from B: TCP 8080 and ICMP.   B admits from A: ICMP only.
#include <array>
#include <cstdio>
#include <fcntl.h>
#include <netinet/in.h>
#include <optional>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "node/filter/nft_backend.hpp"
#include "node/netlink/rtnl.hpp"
#include "node/reconcile/diff.hpp"
#include "node/reconcile/reconciler.hpp"
#include "node/uapi/client.hpp"
#include "node/uapi/supervisor.hpp"

using namespace ward::node;

namespace {

std::string run(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    out.append(buf.data(), n);
  const int st = ::pclose(p);
  if (rc) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

template <class F>
auto in_netns(const std::string& ns, F f) {
  std::optional<decltype(f())> result;
  std::thread t([&] {
    const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) std::abort();
    ::close(fd);
    result.emplace(f());
  });
  t.join();
  return std::move(*result);
}

class NetnsRunner final : public uapi::ProcessRunner {
 public:
  explicit NetnsRunner(std::string ns) : ns_(std::move(ns)) {}
  ward::Result<int> spawn(const std::vector<std::string>& argv) override {
    std::vector<std::string> full = {"ip", "netns", "exec", ns_};
    full.insert(full.end(), argv.begin(), argv.end());
    return inner_.spawn(full);
  }
  ward::Result<bool> exited(int pid) override { return inner_.exited(pid); }
  ward::Status terminate(int pid, std::chrono::milliseconds g) override {
    return inner_.terminate(pid, g);
  }

 private:
  std::string ns_;
  uapi::PosixProcessRunner inner_;
};

// Counts mutating calls that reach the real backends.
struct CountingWg final : WireGuardBackend {
  WireGuardBackend& inner;
  int applies = 0;
  explicit CountingWg(WireGuardBackend& i) : inner(i) {}
  ward::Result<WgState> get() override { return inner.get(); }
  ward::Status apply(const WgChange& c) override {
    ++applies;
    return inner.apply(c);
  }
};
struct CountingFilter final : FilterBackend {
  FilterBackend& inner;
  int applies = 0;
  explicit CountingFilter(FilterBackend& i) : inner(i) {}
  ward::Status apply(const FilterRules& r) override {
    ++applies;
    return inner.apply(r);
  }
  ward::Status remove() override { return inner.remove(); }
};
struct CountingAddrs final : AddressBackend {
  AddressBackend& inner;
  int mutations = 0;
  explicit CountingAddrs(AddressBackend& i) : inner(i) {}
  ward::Result<std::vector<ward::net::InterfaceAddress>> list() override { return inner.list(); }
  ward::Status add(const ward::net::InterfaceAddress& a) override {
    ++mutations;
    return inner.add(a);
  }
  ward::Status remove(const ward::net::InterfaceAddress& a) override {
    ++mutations;
    return inner.remove(a);
  }
  ward::Result<bool> is_up() override { return inner.is_up(); }
  ward::Status set_up() override {
    ++mutations;
    return inner.set_up();
  }
};
struct CountingRoutes final : RouteBackend {
  RouteBackend& inner;
  int mutations = 0;
  explicit CountingRoutes(RouteBackend& i) : inner(i) {}
  ward::Result<std::vector<ward::net::Prefix>> list() override { return inner.list(); }
  ward::Status add(const ward::net::Prefix& p) override {
    ++mutations;
    return inner.add(p);
  }
  ward::Status remove(const ward::net::Prefix& p) override {
    ++mutations;
    return inner.remove(p);
  }
};

ward::net::Prefix pfx(const std::string& s) {
  return ward::net::Prefix::parse(s).value();
}

// Generous start timeout: the machine is shared and may be loaded.
uapi::WireGuardGoSupervisor::Options slow_ok() {
  uapi::WireGuardGoSupervisor::Options o;
  o.start_timeout = std::chrono::seconds(20);
  return o;
}

struct Node {
  std::string tag;
  std::string ns, iface, veth;
  std::string ip, overlay4, overlay6;
  std::string priv_b64, pub_b64;
  NetnsRunner runner;
  uapi::WireGuardGoSupervisor sup;
  uapi::UapiBackend wg_real;
  netlink::RtnlAddressBackend addr_real;
  netlink::RtnlRouteBackend route_real;
  filter::NftFilterBackend filter_real;
  CountingWg wg{wg_real};
  CountingAddrs addrs{addr_real};
  CountingRoutes routes{route_real};
  CountingFilter filt{filter_real};
  Reconciler rec{Backends{&wg, &addrs, &routes, &filt}};

  Node(const std::string& t, int n, const std::string& pid)
      : tag(t),
        ns("warde" + t + pid),
        iface("wge" + t + pid),
        veth("ve" + t + pid),
        ip("192.0.2." + std::to_string(n)),
        overlay4("100.64.0." + std::to_string(n)),
        overlay6("fd7a:115c:a1e0::" + std::to_string(n)),
        priv_b64(trim(run("wg genkey"))),
        pub_b64(trim(run("echo " + priv_b64 + " | wg pubkey"))),
        runner(ns),
        sup(iface, runner, slow_ok()),
        wg_real(uapi::UapiClient(uapi::socket_path_for(iface).value())),
        addr_real(iface),
        route_real(iface),
        filter_real(iface) {}

  WgKey pub() const { return WgKey::from_base64(pub_b64).value(); }
  ward::SecretBytes priv() const { return secret_from_base64(priv_b64, 32).value(); }
  bool can(const std::string& cmd) {
    int rc = -1;
    run("ip netns exec " + ns + " " + cmd, &rc);
    return rc == 0;
  }
  int mutations() const { return wg.applies + filt.applies + addrs.mutations + routes.mutations; }
  ward::Status apply(const DesiredState& d) {
    return in_netns(ns, [&] { return rec.apply(d); });
  }
};

struct World {
  std::string pid = std::to_string(::getpid() % 100000);
  Node a{"a", 1, pid};
  Node b{"b", 2, pid};
  World() {
    for (Node* n : {&a, &b})
      run("ip netns add " + n->ns);
    run("ip link add " + a.veth + " netns " + a.ns + " type veth peer name " + b.veth + " netns " +
        b.ns);
    for (Node* n : {&a, &b}) {
      run("ip -n " + n->ns + " addr add " + n->ip + "/24 dev " + n->veth);
      run("ip -n " + n->ns + " link set " + n->veth + " up");
      run("ip -n " + n->ns + " link set lo up");
    }
  }
  ~World() {
    for (Node* n : {&a, &b}) {
      (void)n->sup.stop();
      run("ip netns del " + n->ns);
      std::remove(("/var/run/wireguard/" + n->iface + ".sock").c_str());
    }
  }
};

Netmap map_for(const Node& self, const Node& peer, std::vector<FilterRule> inbound) {
  Netmap m;
  m.serial = 1;
  m.self.id = "dev_" + self.tag;
  m.self.addresses = {ward::net::InterfaceAddress::parse(self.overlay4 + "/32").value(),
                      ward::net::InterfaceAddress::parse(self.overlay6 + "/128").value()};
  m.overlay = {pfx("100.64.0.0/10"), pfx("fd7a:115c:a1e0::/48")};
  Peer p;
  p.id = "dev_" + peer.tag;
  p.public_key = peer.pub();
  p.allowed_ips = {pfx(peer.overlay4 + "/32"), pfx(peer.overlay6 + "/128")};
  p.endpoints = {Endpoint::parse(peer.ip + ":51820").value()};
  m.peers = {p};
  m.filter.inbound = std::move(inbound);
  return m;
}

int listen_tcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct FdCloser {
  std::vector<int> fds;
  ~FdCloser() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
};

}  // namespace

TEST_CASE("e2e: two nodes get exactly the tunnel and ports their netmaps give them",
          "[integration]") {
  World w;
  Node& a = w.a;
  Node& b = w.b;
  REQUIRE_FALSE(a.priv_b64.empty());
  REQUIRE(a.sup.check());
  REQUIRE(b.sup.check());

  const std::string b32 = b.overlay4 + "/32";
  const std::string a32 = a.overlay4 + "/32";
  auto map_a = map_for(
      a, b, {FilterRule{{pfx(b32)}, {6}, {{8080, 8080}}}, FilterRule{{pfx(b32)}, {1, 58}, {}}});
  auto map_b = map_for(b, a, {FilterRule{{pfx(a32)}, {1}, {}}});
  auto desired_a = desired_from_netmap(map_a, a.priv(), 51820);
  auto desired_b = desired_from_netmap(map_b, b.priv(), 51820);
  REQUIRE(a.apply(desired_a));
  REQUIRE(b.apply(desired_b));

  // wg show: A has exactly B, with the netmap's allowed IPs and endpoint.
  const std::string dump = run("ip netns exec " + a.ns + " wg show " + a.iface + " dump");
  CHECK(dump.find(b.pub_b64 + "\t(none)\t" + b.ip + ":51820\t" + b32 + "," + b.overlay6 +
                  "/128\t") != std::string::npos);
  CHECK(run("ip netns exec " + a.ns + " wg show " + a.iface + " peers") == b.pub_b64 + "\n");

  FdCloser fds;
  fds.fds.push_back(in_netns(a.ns, [] { return listen_tcp(8080); }));
  fds.fds.push_back(in_netns(a.ns, [] { return listen_tcp(8081); }));
  fds.fds.push_back(in_netns(b.ns, [] { return listen_tcp(8080); }));
  for (int fd : fds.fds)
    REQUIRE(fd >= 0);

  // Both directions of every claim.
  CHECK(b.can("ping -c 1 -W 2 " + a.overlay4));              // A admits ICMP from B
  CHECK(b.can("nc -z -w 2 " + a.overlay4 + " 8080"));        // A admits TCP 8080 from B
  CHECK_FALSE(b.can("nc -z -w 1 " + a.overlay4 + " 8081"));  // blocked port on allowed peer
  CHECK(a.can("ping -c 1 -W 2 " + b.overlay4));              // B admits ICMP from A
  CHECK_FALSE(a.can("nc -z -w 1 " + b.overlay4 + " 8080"));  // B admits no TCP from A
  auto stats_a = in_netns(a.ns, [&] { return a.filter_real.stats(); });
  REQUIRE(stats_a);
  CHECK(stats_a->dropped_packets >= 1);

  // Idempotent: applying the same state again reaches no backend mutation.
  const int before = a.mutations();
  REQUIRE(a.apply(desired_a));
  CHECK(a.mutations() == before);

  // Policy change on A (TCP 8080 no longer admitted): only the filter changes; the peer
  // is not re-created (its handshake time survives).
  const auto hs_before = a.wg_real.get().value().peers.at(0).last_handshake_sec;
  CHECK(hs_before > 0);
  map_a.filter.inbound = {FilterRule{{pfx(b32)}, {1, 58}, {}}};
  const int wg_before = a.wg.applies;
  const int filt_before = a.filt.applies;
  REQUIRE(a.apply(desired_from_netmap(map_a, a.priv(), 51820)));
  CHECK(a.wg.applies == wg_before);
  CHECK(a.filt.applies == filt_before + 1);
  CHECK(a.wg_real.get().value().peers.at(0).last_handshake_sec == hs_before);
  CHECK_FALSE(b.can("nc -z -w 1 " + a.overlay4 + " 8080"));
  CHECK(b.can("ping -c 1 -W 2 " + a.overlay4));

  // Revocation on A: every peer and every accept goes.
  REQUIRE(in_netns(a.ns, [&] { return a.rec.drop_all(); }));
  CHECK(trim(run("ip netns exec " + a.ns + " wg show " + a.iface + " peers")).empty());
  CHECK_FALSE(b.can("ping -c 1 -W 1 " + a.overlay4));
  auto after = in_netns(a.ns, [&] { return a.filter_real.stats(); });
  REQUIRE(after);
  CHECK(after->accept_rules == 0);

  // Teardown leaves no table behind.
  REQUIRE(in_netns(a.ns, [&] { return a.filter_real.remove(); }));
  int rc = 0;
  run("ip netns exec " + a.ns + " nft list table inet ward_" + a.iface, &rc);
  CHECK(rc != 0);
}
