// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake as WireGuard uses it (whitepaper
// section 5.4.2-5.4.5; the Linux driver's noise.c). Pure: the caller passes wall-clock
// time for TAI64N, monotonic time for the initiation flood limit, and its own index
// numbers; nothing here sends, sleeps or reads a clock.
//
// Every function either completes and changes state, or fails and changes nothing (no
// packet is produced): in particular an all-zero DH result (low-order public key) fails.
// MAC1/MAC2 are not handled here (see cookie.hpp): create_* leave mac1/mac2 zero.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "node/wg/crypto.hpp"
#include "node/wg/messages.hpp"

namespace ward::wg {

// Monotonic time in nanoseconds (any fixed origin; the engine never reads the clock).
using Nanos = std::int64_t;
inline constexpr Nanos kSecond = 1'000'000'000;

// Our static identity. Immutable after construction; shared by all handshakes.
class StaticIdentity {
 public:
  StaticIdentity() = default;
  // Derives the public key; an all-zero or otherwise unusable key gives has_key() false
  // (a device without a key answers nothing).
  explicit StaticIdentity(const PrivateKey& private_key);

  bool has_key() const { return has_key_; }
  const PrivateKey& private_key() const { return private_key_; }
  const PublicKey& public_key() const { return public_key_; }

 private:
  PrivateKey private_key_;
  PublicKey public_key_{};
  bool has_key_ = false;
};

enum class HandshakeState {
  kZeroed,
  kCreatedInitiation,
  kConsumedInitiation,
  kCreatedResponse,
  kConsumedResponse,
};

// The transport keys a completed handshake yields.
struct SessionKeys {
  Key send;
  Key recv;
  std::uint32_t local_index = 0;   // receiver index the peer puts on packets to us
  std::uint32_t remote_index = 0;  // receiver index we put on packets to the peer
  bool initiator = false;
};

// Per-peer handshake state. Not thread-safe: its owner (the peer) serialises access.
class Handshake {
 public:
  // Sets up for the peer with this static public key. The static-static DH is computed
  // once here; if it is all zero (low-order peer key) every handshake with this peer
  // fails.
  void init(const StaticIdentity& local, const PublicKey& remote_static);
  // Recomputes the static-static DH after our private key changed.
  void set_local_identity(const StaticIdentity& local);
  void set_preshared_key(const Key& psk) { psk_ = psk; }

  const PublicKey& remote_static() const { return remote_static_; }
  HandshakeState state() const { return state_; }
  std::uint32_t local_index() const { return local_index_; }
  // Forgets ephemeral state (not the latest timestamp, which guards against replays).
  void zero();

  // Initiator: fills `out` (mac1/mac2 left zero) and enters kCreatedInitiation with
  // `local_index` as our sender index. False if a DH fails.
  bool create_initiation(const StaticIdentity& local, std::uint32_t local_index,
                         std::int64_t wall_ns, Initiation& out);
  // Responder: valid only in kConsumedInitiation; fills `out` and enters kCreatedResponse.
  bool create_response(std::uint32_t local_index, Response& out);
  // Initiator: valid only in kCreatedInitiation with msg.receiver == local_index().
  bool consume_response(const StaticIdentity& local, const Response& msg);
  // Both sides: after kCreatedResponse or kConsumedResponse, derives the transport keys
  // and zeroes the handshake. nullopt in any other state.
  std::optional<SessionKeys> begin_session();

 private:
  friend Handshake* consume_initiation(const StaticIdentity&, const Initiation&, Nanos,
                                       const std::function<Handshake*(const PublicKey&)>&);
  PublicKey remote_static_{};
  Key precomputed_ss_;
  Key psk_;
  HandshakeState state_ = HandshakeState::kZeroed;
  Key chaining_key_;
  Hash hash_{};
  PrivateKey ephemeral_private_;
  PublicKey remote_ephemeral_{};
  std::uint32_t local_index_ = 0;
  std::uint32_t remote_index_ = 0;
  Tai64n latest_timestamp_{};
  std::optional<Nanos> last_initiation_consumption_;
};

// Responder: decrypts an initiation addressed to `local`, asks `find_peer` for the
// handshake of the sender's static key, checks its timestamp is newer than any seen from
// that peer and that the peer's previous initiation was consumed at least 1/50 s ago, and
// on success leaves that handshake in kConsumedInitiation and returns it. nullptr on any
// failure, with no state changed.
Handshake* consume_initiation(const StaticIdentity& local, const Initiation& msg, Nanos now,
                              const std::function<Handshake*(const PublicKey&)>& find_peer);

}  // namespace ward::wg
