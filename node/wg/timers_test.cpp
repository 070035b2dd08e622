#include "node/wg/timers.hpp"

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

constexpr Nanos kJitter = 100'000'000;  // a fixed 100 ms

PeerTimers make() {
  return PeerTimers([] { return kJitter; });
}

TEST_CASE("timers: no events, nothing due", "[unit]") {
  PeerTimers t = make();
  CHECK_FALSE(t.next_deadline());
  CHECK(t.poll(1'000 * kSecond) == kTimerNone);
}

TEST_CASE("timers: data received without reply sends a keepalive after 10 s", "[unit]") {
  PeerTimers t = make();
  t.on_data_received(0);
  CHECK(t.next_deadline() == kKeepaliveTimeout);
  CHECK(t.poll(kKeepaliveTimeout - 1) == kTimerNone);
  CHECK(t.poll(kKeepaliveTimeout) == kTimerSendKeepalive);
  CHECK(t.poll(2 * kKeepaliveTimeout) == kTimerNone);  // one-shot
}

TEST_CASE("timers: sending anything cancels the pending keepalive", "[unit]") {
  PeerTimers t = make();
  t.on_data_received(0);
  t.on_any_authenticated_packet_sent(kSecond);
  CHECK(t.poll(kKeepaliveTimeout) == kTimerNone);
}

TEST_CASE("timers: more data while a keepalive is pending re-arms it once", "[unit]") {
  PeerTimers t = make();
  t.on_data_received(0);
  t.on_data_received(kSecond);  // need another keepalive
  CHECK(t.poll(kKeepaliveTimeout) == kTimerSendKeepalive);
  CHECK(t.send_keepalive_deadline() == 2 * kKeepaliveTimeout);
  CHECK(t.poll(2 * kKeepaliveTimeout) == kTimerSendKeepalive);
  CHECK_FALSE(t.send_keepalive_deadline());
}

TEST_CASE("timers: data sent and nothing heard for 15 s starts a new handshake", "[unit]") {
  PeerTimers t = make();
  t.on_data_sent(0);
  const Nanos due = kKeepaliveTimeout + kRekeyTimeout + kJitter;
  CHECK(t.new_handshake_deadline() == due);
  t.on_data_sent(kSecond);  // does not push the deadline
  CHECK(t.new_handshake_deadline() == due);
  CHECK(t.poll(due - 1) == kTimerNone);
  CHECK(t.poll(due) == kTimerNewHandshake);
}

TEST_CASE("timers: hearing anything cancels the new-handshake timer", "[unit]") {
  PeerTimers t = make();
  t.on_data_sent(0);
  t.on_any_authenticated_packet_received(kSecond);
  CHECK(t.poll(60 * kSecond) == kTimerNone);
}

TEST_CASE("timers: handshake retransmits every 5 s + jitter, gives up after 90 s", "[unit]") {
  PeerTimers t = make();
  Nanos now = 0;
  t.on_handshake_initiated(now, false);
  int retries = 0;
  for (;;) {
    REQUIRE(t.next_deadline());
    CHECK(*t.next_deadline() == now + kRekeyTimeout + kJitter);
    now = *t.next_deadline();
    TimerActions a = t.poll(now);
    if (a & kTimerGiveUp) {
      CHECK_FALSE(a & kTimerRetryHandshake);
      break;
    }
    REQUIRE(a == kTimerRetryHandshake);
    ++retries;
    t.on_handshake_initiated(now, true);  // the owner sent the retry
    REQUIRE(retries < 100);
  }
  CHECK(retries == static_cast<int>(kMaxTimerHandshakes) + 1);
  // Attempts span REKEY_ATTEMPT_TIME (plus jitter) before giving up.
  CHECK(now >= kRekeyAttemptTime);
  // Giving up schedules zeroing of any residue after 540 s.
  CHECK(t.zero_keys_deadline() == now + 3 * kRejectAfterTime);
  CHECK(t.poll(now + 3 * kRejectAfterTime) == kTimerZeroKeys);
  // A fresh (non-retry) initiation resets the attempt count.
  t.on_handshake_initiated(now, false);
  CHECK(t.handshake_attempts() == 0);
}

TEST_CASE("timers: completing the handshake stops retransmission", "[unit]") {
  PeerTimers t = make();
  t.on_handshake_initiated(0, false);
  CHECK(t.poll(kRekeyTimeout + kJitter) == kTimerRetryHandshake);
  CHECK(t.handshake_attempts() == 1);
  t.on_handshake_initiated(kRekeyTimeout + kJitter, true);
  t.set_sent_lastminute_handshake();
  t.on_handshake_complete(6 * kSecond);
  CHECK(t.handshake_attempts() == 0);
  CHECK_FALSE(t.sent_lastminute_handshake());
  CHECK(t.poll(60 * kSecond) == kTimerNone);
}

TEST_CASE("timers: keys are zeroed 540 s after the last session was derived", "[unit]") {
  PeerTimers t = make();
  t.on_session_derived(0);
  t.on_session_derived(100 * kSecond);  // a rekey pushes it out
  CHECK(t.poll(3 * kRejectAfterTime) == kTimerNone);
  CHECK(t.poll(100 * kSecond + 3 * kRejectAfterTime) == kTimerZeroKeys);
}

TEST_CASE("timers: persistent keepalive after any traversal", "[unit]") {
  PeerTimers t = make();
  t.on_any_authenticated_packet_traversal(0);
  CHECK_FALSE(t.next_deadline());  // disabled by default
  t.set_persistent_keepalive(25);
  CHECK(t.persistent_keepalive() == 25);
  t.on_any_authenticated_packet_traversal(kSecond);
  CHECK(t.persistent_keepalive_deadline() == 26 * kSecond);
  t.on_any_authenticated_packet_traversal(2 * kSecond);  // traffic pushes it out
  CHECK(t.poll(26 * kSecond) == kTimerNone);
  CHECK(t.poll(27 * kSecond) == kTimerSendKeepalive);
  t.on_any_authenticated_packet_traversal(27 * kSecond);
  t.set_persistent_keepalive(0);
  CHECK(t.poll(100 * kSecond) == kTimerNone);
}

TEST_CASE("timers: jitter is clamped and stop cancels everything", "[unit]") {
  PeerTimers t([] { return Nanos{10 * kSecond}; });
  t.on_handshake_initiated(0, false);
  CHECK(t.retransmit_deadline() == kRekeyTimeout + kRekeyTimeoutJitterMax - 1);
  t.on_data_received(0);
  t.on_session_derived(0);
  t.stop();
  CHECK_FALSE(t.next_deadline());
}

}  // namespace
}  // namespace ward::wg
