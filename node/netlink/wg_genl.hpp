// WireGuard generic-netlink messages (linux/wireguard.h), the API embeddable-wg-library
// wraps: building WG_CMD_SET_DEVICE requests from a WgChange and WG_CMD_GET_DEVICE dump
// requests, and parsing GET dumps into WgState. Pure: no sockets; thread-safe.
//
// Splitting follows wireguard-tools' ipc-linux.h kernel_set_device exactly: a message is
// filled until the next attribute would not fit in `buffer_size`; device attributes
// (private key, listen port, REPLACE_PEERS) go only in the first message; a peer that does
// not fit starts the next message; a peer whose allowed IPs do not fit is continued in the
// next message carrying its public key and the remaining allowed IPs WITHOUT
// REPLACE_ALLOWEDIPS (so the continuation appends). REMOVE_ME and UPDATE_ONLY are repeated
// on continuations. Every message carries WGDEVICE_A_IFNAME.
//
// Messages carry the private key when one is set: they are SecretBytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node::netlink {

// The default buffer size, as wireguard-tools' mnl_ideal_socket_buffer_size() (page size,
// at most 8192).
std::size_t default_buffer_size();

// WG_CMD_SET_DEVICE messages (NLM_F_REQUEST | NLM_F_ACK) with sequence numbers first_seq,
// first_seq+1, ... Error if ifname is invalid or a single peer header cannot fit.
Result<std::vector<SecretBytes>> build_set_device(std::string_view ifname, const WgChange& change,
                                                  std::uint16_t family_id, std::uint32_t first_seq,
                                                  std::size_t buffer_size = default_buffer_size());

// WG_CMD_GET_DEVICE dump request (NLM_F_REQUEST | NLM_F_DUMP) naming the interface.
Result<std::vector<std::uint8_t>> build_get_device(std::string_view ifname, std::uint16_t family_id,
                                                   std::uint32_t seq);

// One decoded peer nest (a SET request's or a GET reply's).
struct PeerAttrs {
  WgKey public_key;
  std::uint32_t flags = 0;  // WGPEER_F_*
  std::optional<SecretBytes> preshared_key;
  std::optional<Endpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive;
  std::int64_t last_handshake_sec = 0;
  std::int64_t last_handshake_nsec = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint32_t protocol_version = 0;
  bool has_allowed_ips = false;
  std::vector<net::Prefix> allowed_ips;
};

// One decoded WireGuard genl message (device attributes + peers, in order).
struct DeviceMessage {
  std::uint8_t cmd = 0;
  std::string ifname;
  std::uint32_t ifindex = 0;
  std::optional<SecretBytes> private_key;
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;
  std::uint32_t flags = 0;  // WGDEVICE_F_*
  std::vector<PeerAttrs> peers;
};

// Parses every netlink message in `buffer` (several may be packed; NLMSG_DONE ends the
// walk and NLMSG_ERROR with a non-zero code is returned as an error). Strict: attribute
// lengths, address families, CIDR bounds and key sizes are checked; a peer without a
// public key is an error.
Result<std::vector<DeviceMessage>> parse_device_messages(std::span<const std::uint8_t> buffer,
                                                         std::uint16_t family_id);

// Folds a GET dump (all its messages, in order) into a WgState: a peer split across
// messages (same public key in consecutive positions) is merged, as wireguard-tools does.
Result<WgState> state_from_dump(const std::vector<DeviceMessage>& messages);

}  // namespace ward::node::netlink
