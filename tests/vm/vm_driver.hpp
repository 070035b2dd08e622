// ward-vm-kernel-driver: runs INSIDE the test VM (tests/vm/run_vm_test.sh), where the kernel
// has WireGuard. It drives the node's kernel WireGuard backend through the same objects
// ward-node uses for `--wg-backend kernel` (daemon::create_wireguard_link,
// netlink::KernelWgBackend, netlink::RtnlAddressBackend / RtnlRouteBackend under the
// Reconciler, fed by desired_from_netmap) and checks what the kernel reports back.
//
// Each command prints its evidence on stdout, errors on stderr, and returns 0 only if every
// check passed (fail closed: any unexpected read-back is a failure). Acts in the calling
// process's network namespace. Private keys are read from files, held as SecretBytes and
// never printed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::vmtest {

// `probe`: prints "wireguard genl family: present|absent"; with `expect` set ("present" or
// "absent") fails unless it matches. Also checks that create_wireguard_link fails with
// not_found when absent (the daemon's error for a kernel without WireGuard).
struct ProbeArgs {
  std::string expect;
};
Status run_probe(const ProbeArgs& a);

// `tunnel`: creates the interface and applies a one-peer netmap through the Reconciler,
// reads it back (key, port, peer, addresses, routes), applies it again and requires zero
// mutating calls (idempotence against the real kernel).
struct TunnelArgs {
  std::string iface;
  std::string private_key_file;  // base64, as `wg genkey` writes
  std::uint16_t listen_port = 0;
  std::string peer_public_key;  // base64
  std::vector<std::string> peer_allowed_ips;
  std::string peer_endpoint;
  std::uint16_t keepalive = 0;
  std::vector<std::string> addresses;  // interface addresses, e.g. 100.64.0.1/32
  std::string overlay_v4, overlay_v6;  // routed through the interface
};
Status run_tunnel(const TunnelArgs& a);

// `show`: reads the device through KernelWgBackend::get() and prints it; with
// require_handshake, fails unless `peer` exists with a non-zero latest handshake and
// non-zero rx and tx byte counters.
struct ShowArgs {
  std::string iface;
  std::string peer;  // base64; required with require_handshake
  bool require_handshake = false;
};
Status run_show(const ShowArgs& a);

// `bulk`: a configuration that must be split over many SET_DEVICE messages (`peers` peers
// with one v4 and one v6 allowed IP each, plus one peer with `big_peer_ips` allowed IPs),
// applied through KernelWgBackend and read back exactly; then applied again through the
// Reconciler (zero mutations), shrunk to `shrink_to` peers through the Reconciler and read
// back exactly. Leaves the final state on `iface` and prints "final peers N allowed-ips M"
// so the caller can cross-check with `wg show`.
struct BulkArgs {
  std::string iface;
  int peers = 1000;
  int big_peer_ips = 3000;
  int shrink_to = 600;
};
Status run_bulk(const BulkArgs& a);

// Shared helpers (vm_common.cpp).

// Forwards to another backend and counts apply() calls (the reconciler's mutating calls).
class CountingWg final : public node::WireGuardBackend {
 public:
  explicit CountingWg(node::WireGuardBackend& inner) : inner_(inner) {}
  Result<node::WgState> get() override { return inner_.get(); }
  Status apply(const node::WgChange& change) override {
    ++applies;
    return inner_.apply(change);
  }
  int applies = 0;

 private:
  node::WireGuardBackend& inner_;
};

// Prints the state like a compact `wg show` (never the private key: only whether one is
// set and the public key derived from it).
void print_state(const std::string& iface, const node::WgState& st);
// "" if `actual` holds exactly the peers of `desired` (keys, allowed IPs, endpoints,
// keepalive, no preshared key) plus its key and port and fwmark 0; otherwise a description
// of the first difference.
std::string compare_config(const node::WgConfig& desired, const node::WgState& actual);

}  // namespace ward::vmtest
