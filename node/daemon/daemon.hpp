// The ward-node daemon: wires the control client (enrollment, stream, renewal, posture)
// to the reconciler (WireGuard backend + wireguard-go supervisor, rtnetlink addresses and
// routes, nftables filter) and answers the local control socket.
//
// Contracts: everything runs on one libuv loop thread; backend calls are blocking but
// bounded (UAPI and netlink deadlines). Secrets (keys, enrollment key, password) never
// reach a log line. Stop paths: SIGTERM/SIGINT or the socket's "down" command tear the
// node down (drop all, remove the filter table, stop wireguard-go / delete the kernel
// interface, remove the socket) and make run() return.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "node/control/enroll.hpp"

namespace ward::node::daemon {

enum class WgBackendKind { kAuto, kKernel, kUapi, kBuiltin };

// What `auto` means on this host: the kernel module when the kernel has WireGuard;
// otherwise, when some process already serves the interface's UAPI socket (a wireguard-go
// left running by an earlier `--wg-backend uapi` run, which keeps its tunnels across node
// restarts), that process through UAPI, so an upgrade does not cut tunnels or fail on a
// busy interface; otherwise Ward's own engine in-process. Pure.
WgBackendKind resolve_auto_backend(bool kernel_has_wireguard, bool uapi_socket_served);

struct DaemonOptions {
  std::string controller_url;
  std::string ca_file;
  std::string state_dir;
  std::optional<SecretString> enroll_key;
  std::optional<control::LoginCredential> login;
  std::string iface = "ward0";
  WgBackendKind wg_backend = WgBackendKind::kAuto;
  std::uint16_t listen_port = 51820;
  std::string hostname;  // empty: gethostname()
  std::vector<std::string> extra_endpoints;
  std::string wireguard_go = "wireguard-go";  // the uapi backend's userspace implementation
  std::string uapi_socket_dir = "/var/run/wireguard";
};

// Runs the daemon until it is told to stop. Returns the first fatal error (bad state
// directory, enrollment refused, interface cannot be created).
Status run_daemon(DaemonOptions options);

// `ward-node down` without a running daemon: removes the nftables table, the interface,
// a stale UAPI socket and the control socket. Missing pieces are fine.
Status cleanup_leftovers(const std::string& state_dir, const std::string& iface,
                         const std::string& uapi_socket_dir = "/var/run/wireguard");

// The interface name the last `up` used (<state-dir>/iface), or nullopt.
std::optional<std::string> recorded_iface(const std::string& state_dir);

}  // namespace ward::node::daemon
