// A peer as the Device core keeps it: identity, handshake, session keypairs, timers,
// endpoint and counters. Owned by Device; not thread-safe (Device serialises access).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "node/wg/allowed_ips.hpp"
#include "node/wg/cookie.hpp"
#include "node/wg/endpoint.hpp"
#include "node/wg/noise.hpp"
#include "node/wg/replay.hpp"
#include "node/wg/timers.hpp"

namespace ward::wg {

inline constexpr std::size_t kMaxStagedPackets = 128;

// One direction pair of transport keys with its counters (the kernel's noise_keypair).
struct Keypair {
  Key send;
  Key recv;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  bool initiator = false;
  bool send_valid = true;
  bool recv_valid = true;
  Nanos birth = 0;
  std::uint64_t send_counter = 0;
  ReplayWindow replay;
};

struct Peer {
  Peer(PeerId peer_id, const PublicKey& key, PeerTimers::Jitter jitter)
      : id(peer_id), public_key(key), timers(std::move(jitter)) {}

  PeerId id;
  PublicKey public_key;
  Key preshared_key;
  Handshake handshake;
  CookieMaker cookie;
  PeerTimers timers;
  std::optional<Endpoint> endpoint;

  // The index under which `handshake` is registered in the device's index table.
  std::optional<std::uint32_t> handshake_index;
  std::unique_ptr<Keypair> previous;
  std::unique_ptr<Keypair> current;
  std::unique_ptr<Keypair> next;

  // IP packets waiting for a usable keypair (oldest dropped beyond kMaxStagedPackets).
  std::deque<std::vector<std::uint8_t>> staged;
  std::optional<Nanos> last_sent_handshake;

  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::optional<std::int64_t> last_handshake_wall_ns;
};

}  // namespace ward::wg
