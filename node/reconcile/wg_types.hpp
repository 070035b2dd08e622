// WireGuard configuration, observed state and change sets, shared by the reconciler and
// every WireGuard backend (UAPI, kernel netlink, Ward's own engine).
//
// Contracts: allowed-IP lists in WgPeerConfig/WgPeerState produced by Ward code are sorted
// and free of duplicates (normalize_prefixes), so they compare with ==. Private keys are
// SecretBytes (wiped on destruction, never printed); an empty SecretBytes means "no key".
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/net/ip.hpp"
#include "node/netmap/netmap.hpp"
#include "node/netmap/wg_key.hpp"

namespace ward::node {

// Sorts and removes duplicates in place.
void normalize_prefixes(std::vector<net::Prefix>& prefixes);

struct WgPeerConfig {
  WgKey public_key;
  std::vector<net::Prefix> allowed_ips;  // normalized
  std::optional<Endpoint> endpoint;
  std::uint16_t persistent_keepalive = 0;
  bool operator==(const WgPeerConfig&) const = default;
};

// The desired device configuration.
struct WgConfig {
  SecretBytes private_key;        // 32 bytes; empty = do not manage the key
  std::uint16_t listen_port = 0;  // 0 = do not manage the port
  std::vector<WgPeerConfig> peers;
};

struct WgPeerState {
  WgKey public_key;
  std::vector<net::Prefix> allowed_ips;  // normalized by the backend
  std::optional<Endpoint> endpoint;
  std::uint16_t persistent_keepalive = 0;
  bool has_preshared_key = false;
  std::int64_t last_handshake_sec = 0;  // 0 = never
  std::int64_t last_handshake_nsec = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint32_t protocol_version = 0;  // 0 = not reported
};

// Applies X25519 clamping (RFC 7748) in place: WireGuard implementations store and report
// the clamped private key, so desired keys are clamped before comparing. No-op unless 32
// bytes.
void clamp_private_key(SecretBytes& key);

// What a backend reports for the device.
struct WgState {
  SecretBytes private_key;  // empty if none is set
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<WgPeerState> peers;
};

// One peer's part of a change. Fields left empty are not touched.
struct WgPeerChange {
  WgKey public_key;
  bool remove = false;                       // remove this peer; every other field is ignored
  bool update_only = false;                  // only modify an existing peer; never create it
  std::optional<SecretBytes> preshared_key;  // Ward does not use PSKs; for completeness
  std::optional<Endpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive;
  std::optional<std::vector<net::Prefix>> replace_allowed_ips;  // set exactly these
  bool operator==(const WgPeerChange&) const = default;
};

// A change applied as ONE operation by a backend (one UAPI set, or a netlink SET_DEVICE
// sequence). Peer changes are applied in order.
struct WgChange {
  std::optional<SecretBytes> private_key;
  std::optional<std::uint16_t> listen_port;
  bool replace_peers = false;  // remove every peer not listed in `peers` first
  std::vector<WgPeerChange> peers;

  bool empty() const { return !private_key && !listen_port && !replace_peers && peers.empty(); }
};

// A WireGuard device. Implementations: uapi/UapiBackend, netlink kernel backend, fakes.
// Not thread-safe unless an implementation says otherwise.
class WireGuardBackend {
 public:
  virtual ~WireGuardBackend() = default;
  virtual Result<WgState> get() = 0;
  // Either the whole change took effect or an error is returned (then the device may hold
  // part of it: callers re-read with get() and diff again).
  virtual Status apply(const WgChange& change) = 0;
};

}  // namespace ward::node
