// bulk (see vm_driver.hpp): a configuration that needs many netlink messages each way.
#include <chrono>
#include <cstdio>

#include "common/crypto/wg_key.hpp"
#include "node/daemon/link.hpp"
#include "node/netlink/kernel_backend.hpp"
#include "node/netlink/wg_genl.hpp"
#include "node/reconcile/diff.hpp"
#include "node/reconcile/fake_backends.hpp"
#include "node/reconcile/reconciler.hpp"
#include "tests/vm/vm_driver.hpp"

namespace ward::vmtest {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

net::Prefix v4_prefix(std::uint32_t host_order, int bits) {
  return *net::Prefix::make(net::IpAddress::v4(host_order), bits);
}

// Peer i (< 65536): 10.(i/256).(i%256).0/24 and fd00:1::i/128, endpoint
// 198.51.100.(1 + i%250):(20000 + i), keepalive 25 on every third peer.
Result<node::WgPeerConfig> small_peer(int i) {
  WARD_ASSIGN_OR_RETURN(auto key, crypto::WgPrivateKey::generate());
  node::WgPeerConfig p;
  p.public_key = key.public_key();
  p.allowed_ips.push_back(v4_prefix((10u << 24) | (static_cast<std::uint32_t>(i) << 8), 24));
  std::array<std::uint8_t, 16> v6{0xfd, 0x00, 0x00, 0x01};
  v6[14] = static_cast<std::uint8_t>(i >> 8);
  v6[15] = static_cast<std::uint8_t>(i & 0xff);
  WARD_ASSIGN_OR_RETURN(auto v6p, net::Prefix::make(net::IpAddress::v6(v6), 128));
  p.allowed_ips.push_back(v6p);
  node::normalize_prefixes(p.allowed_ips);
  p.endpoint =
      node::Endpoint{net::IpAddress::v4((198u << 24) | (51u << 16) | (100u << 8) | (1u + i % 250)),
                     static_cast<std::uint16_t>(20000 + i)};
  p.persistent_keepalive = i % 3 == 0 ? 25 : 0;
  return p;
}

// The big peer: n host routes 172.16.0.0/32, 172.16.0.1/32, ... (n < 2^20).
Result<node::WgPeerConfig> big_peer(int n) {
  WARD_ASSIGN_OR_RETURN(auto key, crypto::WgPrivateKey::generate());
  node::WgPeerConfig p;
  p.public_key = key.public_key();
  for (int j = 0; j < n; ++j)
    p.allowed_ips.push_back(
        v4_prefix((172u << 24) | (16u << 16) | static_cast<std::uint32_t>(j), 32));
  node::normalize_prefixes(p.allowed_ips);
  p.endpoint = node::Endpoint{*net::IpAddress::parse("2001:db8::7"), 51999};
  return p;
}

std::size_t count_ips(const node::WgConfig& c) {
  std::size_t n = 0;
  for (const auto& p : c.peers)
    n += p.allowed_ips.size();
  return n;
}

Result<std::size_t> message_count(const std::string& iface, const node::WgChange& change) {
  // The family id and sequence only fill header fields; the split depends on sizes alone.
  WARD_ASSIGN_OR_RETURN(auto msgs, node::netlink::build_set_device(iface, change, 0x20, 1));
  return msgs.size();
}

Status check_readback(node::WireGuardBackend& kernel, const node::WgConfig& want,
                      const char* what) {
  const auto t0 = Clock::now();
  WARD_ASSIGN_OR_RETURN(node::WgState st, kernel.get());
  std::printf("%s: read back %zu peers in %.0f ms\n", what, st.peers.size(), ms_since(t0));
  if (auto diff = compare_config(want, st); !diff.empty())
    return Error::internal(std::string(what) + ": read-back differs: " + diff);
  return ok();
}

}  // namespace

Status run_bulk(const BulkArgs& a) {
  if (a.peers < 2 || a.peers > 60000 || a.shrink_to < 1 || a.shrink_to >= a.peers ||
      a.big_peer_ips < 1 || a.big_peer_ips > (1 << 20))
    return Error::invalid_argument(
        "bulk: need 1 <= shrink_to < peers <= 60000, big_peer_ips <= 2^20");
  node::WgConfig want;
  WARD_ASSIGN_OR_RETURN(auto self, crypto::WgPrivateKey::generate());
  want.private_key = self.to_bytes();
  node::clamp_private_key(want.private_key);
  want.listen_port = 51900;
  for (int i = 0; i < a.peers; ++i) {
    WARD_ASSIGN_OR_RETURN(auto p, small_peer(i));
    want.peers.push_back(std::move(p));
  }
  WARD_ASSIGN_OR_RETURN(auto big, big_peer(a.big_peer_ips));
  want.peers.push_back(big);

  WARD_RETURN_IF_ERROR(node::daemon::create_wireguard_link(a.iface));
  node::netlink::KernelWgBackend kernel(a.iface);

  // 1. The whole configuration straight through the backend.
  const node::WgChange full = node::diff_wireguard(want, node::WgState{});
  WARD_ASSIGN_OR_RETURN(std::size_t n_msgs, message_count(a.iface, full));
  node::WgChange big_only;
  big_only.peers.push_back(
      node::diff_wireguard(node::WgConfig{{}, 0, {big}}, node::WgState{}).peers.at(0));
  WARD_ASSIGN_OR_RETURN(std::size_t n_big, message_count(a.iface, big_only));
  std::printf("bulk: %zu peers, %zu allowed ips; SET_DEVICE messages: %zu (big peer alone: %zu)\n",
              want.peers.size(), count_ips(want), n_msgs, n_big);
  if (n_msgs < 2 || n_big < 2)
    return Error::internal("bulk configuration did not need splitting; make it bigger");
  auto t0 = Clock::now();
  WARD_RETURN_IF_ERROR(kernel.apply(full));
  std::printf("bulk: applied in %.0f ms\n", ms_since(t0));
  WARD_RETURN_IF_ERROR(check_readback(kernel, want, "bulk"));

  // 2. The same state through the reconciler: nothing to do.
  CountingWg wg(kernel);
  node::FakeAddresses addrs;
  node::FakeRoutes routes;
  node::FakeFilter filter;
  node::Reconciler rec({&wg, &addrs, &routes, &filter});
  node::DesiredState desired;
  desired.wg = want;
  WARD_RETURN_IF_ERROR(rec.apply(desired));
  std::printf("bulk: reconciler re-apply: %d WireGuard change(s)\n", wg.applies);
  if (wg.applies != 0) return Error::internal("re-applying the bulk state changed WireGuard");

  // 3. Shrink, and change one endpoint and one peer's allowed IPs in place.
  node::WgConfig smaller;
  smaller.private_key = want.private_key;
  smaller.listen_port = want.listen_port;
  smaller.peers.assign(want.peers.begin(), want.peers.begin() + a.shrink_to);
  smaller.peers.push_back(big);
  smaller.peers[0].endpoint->port = 40000;
  smaller.peers[1].allowed_ips.push_back(v4_prefix((192u << 24) | (168u << 16), 16));
  node::normalize_prefixes(smaller.peers[1].allowed_ips);
  desired.wg = smaller;
  t0 = Clock::now();
  WARD_RETURN_IF_ERROR(rec.apply(desired));
  std::printf("bulk: shrink to %zu peers through the reconciler: %d change(s) in %.0f ms\n",
              smaller.peers.size(), wg.applies, ms_since(t0));
  if (wg.applies != 1) return Error::internal("want exactly one WireGuard change for the shrink");
  WARD_RETURN_IF_ERROR(check_readback(kernel, smaller, "shrunk"));
  WARD_ASSIGN_OR_RETURN(node::WgState final_state, kernel.get());
  print_state(a.iface, final_state);
  std::printf("final peers %zu allowed-ips %zu\n", smaller.peers.size(), count_ips(smaller));
  std::fflush(stdout);
  return ok();
}

}  // namespace ward::vmtest
