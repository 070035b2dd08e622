// probe, tunnel and show (see vm_driver.hpp).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "common/base/secret.hpp"
#include "common/crypto/wg_key.hpp"
#include "node/daemon/link.hpp"
#include "node/netlink/kernel_backend.hpp"
#include "node/netlink/rtnl.hpp"
#include "node/reconcile/desired.hpp"
#include "node/reconcile/fake_backends.hpp"
#include "node/reconcile/reconciler.hpp"
#include "tests/vm/vm_driver.hpp"

namespace ward::vmtest {
namespace {

// A `wg genkey` file: base64 and an optional newline. The text is wiped after parsing.
Result<SecretBytes> read_private_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::not_found("cannot read private key file " + quote(path));
  SecretString text(std::string(std::istreambuf_iterator<char>(in), {}));
  std::string_view v = text.reveal();
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r'))
    v.remove_suffix(1);
  auto key = crypto::WgPrivateKey::from_base64(v);
  if (!key) return key.error().context("reading private key file " + quote(path));
  return key->to_bytes();
}

template <typename T>
Result<std::vector<T>> parse_all(const std::vector<std::string>& texts) {
  std::vector<T> out;
  for (const auto& t : texts) {
    WARD_ASSIGN_OR_RETURN(T v, T::parse(t));
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

Status run_probe(const ProbeArgs& a) {
  const bool present = node::netlink::kernel_has_wireguard();
  std::printf("wireguard genl family: %s\n", present ? "present" : "absent");
  if (!a.expect.empty() && a.expect != (present ? "present" : "absent"))
    return Error::internal("expected the wireguard genl family to be " + quote(a.expect));
  if (!present) {
    // What ward-node --wg-backend kernel meets on such a kernel: a clean not_found.
    Status s = node::daemon::create_wireguard_link("wgprobe0");
    if (s) {
      (void)node::daemon::delete_link("wgprobe0");
      return Error::internal("created a wireguard link although the family is absent");
    }
    std::printf("create_wireguard_link without the module: %s\n", s.error().message().c_str());
    if (s.error().code() != ErrorCode::kNotFound)
      return Error::internal("want not_found from create_wireguard_link without the module");
  }
  return ok();
}

Status run_tunnel(const TunnelArgs& a) {
  WARD_ASSIGN_OR_RETURN(SecretBytes private_key, read_private_key(a.private_key_file));
  node::Netmap map;
  map.serial = 1;
  map.self.id = "vm-ward";
  WARD_ASSIGN_OR_RETURN(map.self.addresses, parse_all<net::InterfaceAddress>(a.addresses));
  WARD_ASSIGN_OR_RETURN(map.overlay.v4, net::Prefix::parse(a.overlay_v4));
  WARD_ASSIGN_OR_RETURN(map.overlay.v6, net::Prefix::parse(a.overlay_v6));
  node::Peer peer;
  peer.id = "vm-peer";
  WARD_ASSIGN_OR_RETURN(peer.public_key, node::WgKey::from_base64(a.peer_public_key));
  WARD_ASSIGN_OR_RETURN(peer.allowed_ips, parse_all<net::Prefix>(a.peer_allowed_ips));
  WARD_ASSIGN_OR_RETURN(node::Endpoint ep, node::Endpoint::parse(a.peer_endpoint));
  peer.endpoints = {ep};
  peer.persistent_keepalive = a.keepalive;
  map.peers.push_back(peer);
  const node::DesiredState desired = node::desired_from_netmap(map, private_key, a.listen_port);

  // As Node::setup_interface() does for --wg-backend kernel.
  WARD_RETURN_IF_ERROR(node::daemon::create_wireguard_link(a.iface));
  node::netlink::KernelWgBackend kernel(a.iface);
  CountingWg wg(kernel);
  node::netlink::RtnlAddressBackend addrs(a.iface);
  node::netlink::RtnlRouteBackend routes(a.iface);
  node::FakeFilter filter;  // nftables is covered by the host's namespace tests
  node::Reconciler rec({&wg, &addrs, &routes, &filter});

  WARD_RETURN_IF_ERROR(rec.apply(desired));
  std::printf("first apply: %d WireGuard change(s)\n", wg.applies);
  if (wg.applies != 1) return Error::internal("want exactly one WireGuard change on first apply");

  WARD_ASSIGN_OR_RETURN(node::WgState st, kernel.get());
  print_state(a.iface, st);
  if (auto diff = compare_config(desired.wg, st); !diff.empty())
    return Error::internal("read-back differs: " + diff);
  WARD_ASSIGN_OR_RETURN(auto have_addrs, addrs.list());
  WARD_ASSIGN_OR_RETURN(bool up, addrs.is_up());
  WARD_ASSIGN_OR_RETURN(auto have_routes, routes.list());
  std::sort(have_addrs.begin(), have_addrs.end());
  std::sort(have_routes.begin(), have_routes.end());
  for (const auto& x : have_addrs)
    std::printf("  address: %s\n", x.to_string().c_str());
  for (const auto& r : have_routes)
    std::printf("  route (proto %u): %s\n", node::netlink::kWardRouteProtocol,
                r.to_string().c_str());
  if (!up) return Error::internal("interface is not up");
  if (have_addrs != desired.addresses) return Error::internal("interface addresses differ");
  if (have_routes != desired.routes) return Error::internal("routes differ");

  // Idempotence on the real kernel: what it reports must diff to nothing.
  const int before = wg.applies;
  const auto before_addrs = have_addrs;
  WARD_RETURN_IF_ERROR(rec.apply(desired));
  std::printf("second apply: %d WireGuard change(s)\n", wg.applies - before);
  if (wg.applies != before)
    return Error::internal("second apply of the same netmap changed WireGuard");
  WARD_ASSIGN_OR_RETURN(auto after_addrs, addrs.list());
  std::sort(after_addrs.begin(), after_addrs.end());
  if (after_addrs != before_addrs) return Error::internal("second apply changed addresses");
  std::fflush(stdout);
  return ok();
}

Status run_show(const ShowArgs& a) {
  node::netlink::KernelWgBackend kernel(a.iface);
  WARD_ASSIGN_OR_RETURN(node::WgState st, kernel.get());
  print_state(a.iface, st);
  if (!a.require_handshake) return ok();
  WARD_ASSIGN_OR_RETURN(node::WgKey key, node::WgKey::from_base64(a.peer));
  for (const auto& p : st.peers) {
    if (p.public_key != key) continue;
    if (p.last_handshake_sec == 0) return Error::internal("no handshake with the peer");
    if (p.rx_bytes == 0 || p.tx_bytes == 0) return Error::internal("no traffic with the peer");
    std::printf("handshake with %s: ok\n", a.peer.c_str());
    return ok();
  }
  return Error::not_found("peer " + quote(a.peer) + " is not on " + quote(a.iface));
}

}  // namespace ward::vmtest
