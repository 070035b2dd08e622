#include "node/wg/timers.hpp"

#include <algorithm>

namespace ward::wg {

Nanos PeerTimers::jitter() const {
  if (!jitter_) return 0;
  return std::clamp<Nanos>(jitter_(), 0, kRekeyTimeoutJitterMax - 1);
}

void PeerTimers::on_data_sent(Nanos now) {
  if (!new_handshake_) new_handshake_ = now + kKeepaliveTimeout + kRekeyTimeout + jitter();
}

void PeerTimers::on_data_received(Nanos now) {
  if (!send_keepalive_) {
    send_keepalive_ = now + kKeepaliveTimeout;
  } else {
    need_another_keepalive_ = true;
  }
}

void PeerTimers::on_any_authenticated_packet_sent(Nanos) {
  send_keepalive_.reset();
}

void PeerTimers::on_any_authenticated_packet_received(Nanos) {
  new_handshake_.reset();
}

void PeerTimers::on_handshake_initiated(Nanos now, bool is_retry) {
  if (!is_retry) handshake_attempts_ = 0;
  retransmit_ = now + kRekeyTimeout + jitter();
}

void PeerTimers::on_handshake_complete(Nanos) {
  retransmit_.reset();
  handshake_attempts_ = 0;
  sent_lastminute_handshake_ = false;
}

void PeerTimers::on_session_derived(Nanos now) {
  zero_keys_ = now + 3 * kRejectAfterTime;
}

void PeerTimers::on_any_authenticated_packet_traversal(Nanos now) {
  if (persistent_interval_ > 0) persistent_keepalive_ = now + persistent_interval_;
}

TimerActions PeerTimers::poll(Nanos now) {
  TimerActions actions = kTimerNone;
  auto due = [now](const std::optional<Nanos>& t) { return t && *t <= now; };
  if (due(retransmit_)) {
    retransmit_.reset();
    if (handshake_attempts_ > kMaxTimerHandshakes) {
      send_keepalive_.reset();
      actions |= kTimerGiveUp;
      if (!zero_keys_) zero_keys_ = now + 3 * kRejectAfterTime;
    } else {
      ++handshake_attempts_;
      actions |= kTimerRetryHandshake;
    }
  }
  if (due(send_keepalive_)) {
    send_keepalive_.reset();
    actions |= kTimerSendKeepalive;
    if (need_another_keepalive_) {
      need_another_keepalive_ = false;
      send_keepalive_ = now + kKeepaliveTimeout;
    }
  }
  if (due(new_handshake_)) {
    new_handshake_.reset();
    actions |= kTimerNewHandshake;
  }
  if (due(zero_keys_)) {
    zero_keys_.reset();
    actions |= kTimerZeroKeys;
  }
  if (due(persistent_keepalive_)) {
    persistent_keepalive_.reset();
    if (persistent_interval_ > 0) actions |= kTimerSendKeepalive;
  }
  return actions;
}

std::optional<Nanos> PeerTimers::next_deadline() const {
  std::optional<Nanos> best;
  for (const auto& t :
       {retransmit_, send_keepalive_, new_handshake_, zero_keys_, persistent_keepalive_}) {
    if (t && (!best || *t < *best)) best = t;
  }
  return best;
}

void PeerTimers::stop() {
  retransmit_.reset();
  send_keepalive_.reset();
  new_handshake_.reset();
  zero_keys_.reset();
  persistent_keepalive_.reset();
  need_another_keepalive_ = false;
}

}  // namespace ward::wg
