// WireGuard's per-peer timer rules (whitepaper section 6; the Linux driver's timers.c) as
// a pure state machine. The owner reports events as they happen (on_*, named after the
// kernel's wg_timers_* hooks) and calls poll(now) at or after next_deadline(); poll
// returns the actions that fell due. Nothing here reads a clock or sleeps.
//
// Not thread-safe: one owner (the peer) serialises calls. Time is monotonic nanoseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "node/wg/noise.hpp"

namespace ward::wg {

inline constexpr Nanos kRekeyAfterTime = 120 * kSecond;
inline constexpr Nanos kRejectAfterTime = 180 * kSecond;
inline constexpr Nanos kRekeyAttemptTime = 90 * kSecond;
inline constexpr Nanos kRekeyTimeout = 5 * kSecond;
inline constexpr Nanos kKeepaliveTimeout = 10 * kSecond;
inline constexpr Nanos kRekeyTimeoutJitterMax = kSecond / 3;
inline constexpr std::uint32_t kMaxTimerHandshakes = kRekeyAttemptTime / kRekeyTimeout;

// Actions due, as a bit set.
enum TimerAction : std::uint8_t {
  kTimerNone = 0,
  kTimerSendKeepalive = 1,   // send a keepalive (passive or persistent)
  kTimerRetryHandshake = 2,  // retransmit: send a new initiation (is_retry = true)
  kTimerNewHandshake = 4,    // data sent but nothing heard: initiate (is_retry = false)
  kTimerZeroKeys = 8,        // wipe the handshake and all keypairs
  kTimerGiveUp = 16,         // handshake attempts exhausted: drop staged packets
};
using TimerActions = std::uint8_t;

class PeerTimers {
 public:
  // Returns a jitter in [0, kRekeyTimeoutJitterMax); injected so tests are deterministic.
  using Jitter = std::function<Nanos()>;
  explicit PeerTimers(Jitter jitter) : jitter_(std::move(jitter)) {}

  // 0 disables persistent keepalive.
  void set_persistent_keepalive(std::uint16_t seconds) { persistent_interval_ = seconds * kSecond; }
  std::uint16_t persistent_keepalive() const {
    return static_cast<std::uint16_t>(persistent_interval_ / kSecond);
  }

  // An authenticated data packet (not a keepalive) was sent.
  void on_data_sent(Nanos now);
  // An authenticated data packet (not a keepalive) was received.
  void on_data_received(Nanos now);
  // Any authenticated packet (handshake, keepalive, data) was sent.
  void on_any_authenticated_packet_sent(Nanos now);
  // Any authenticated packet was received.
  void on_any_authenticated_packet_received(Nanos now);
  // A handshake initiation was created and sent; is_retry false resets the attempt count.
  void on_handshake_initiated(Nanos now, bool is_retry);
  // A handshake completed (response consumed, or first data on a responder keypair).
  void on_handshake_complete(Nanos now);
  // New session keys were derived.
  void on_session_derived(Nanos now);
  // Any authenticated packet was sent or received.
  void on_any_authenticated_packet_traversal(Nanos now);

  // Fires every timer whose deadline is <= now, returning the union of their actions.
  TimerActions poll(Nanos now);
  // The earliest pending deadline, if any.
  std::optional<Nanos> next_deadline() const;
  // Cancels every timer (peer removed or device down).
  void stop();

  std::uint32_t handshake_attempts() const { return handshake_attempts_; }
  bool sent_lastminute_handshake() const { return sent_lastminute_handshake_; }
  void set_sent_lastminute_handshake() { sent_lastminute_handshake_ = true; }

  // Pending deadlines, for tests and diagnostics.
  std::optional<Nanos> retransmit_deadline() const { return retransmit_; }
  std::optional<Nanos> send_keepalive_deadline() const { return send_keepalive_; }
  std::optional<Nanos> new_handshake_deadline() const { return new_handshake_; }
  std::optional<Nanos> zero_keys_deadline() const { return zero_keys_; }
  std::optional<Nanos> persistent_keepalive_deadline() const { return persistent_keepalive_; }

 private:
  Nanos jitter() const;

  Jitter jitter_;
  Nanos persistent_interval_ = 0;
  std::optional<Nanos> retransmit_;
  std::optional<Nanos> send_keepalive_;
  std::optional<Nanos> new_handshake_;
  std::optional<Nanos> zero_keys_;
  std::optional<Nanos> persistent_keepalive_;
  std::uint32_t handshake_attempts_ = 0;
  bool need_another_keepalive_ = false;
  bool sent_lastminute_handshake_ = false;
};

}  // namespace ward::wg
