// KeepaliveStagger: which end of a new tunnel sends the first WireGuard handshake, and when.
//
// Why. Every netmap peer carries a persistent keepalive, and WireGuard implementations
// (wireguard-go, the kernel) send one, and so a handshake initiation, the moment it is
// configured on a peer without a session. A policy change that adds a tunnel reaches both
// ends within milliseconds, so both initiate at once. At best each end answers the other's
// initiation and drops the answer to its own (one handshake state per peer), and neither
// has a session until the retransmission 5 s later. At worst, Debian's wireguard-go
// (0.0.20220316, two handshake workers) processes the peer's initiation and the response
// to its own concurrently and keeps a session the other end never completed: every packet
// in one direction is then dropped until the other end's 15 s "no reply" timer starts a
// new handshake (seen in the hospital test, it-laptop -> ehr-server:22, 2026-11-29).
//
// What. A new peer's keepalive is held at 0 for a while after the peer first appears in
// the desired configuration: kFirstHold on the end whose public key is the smaller
// (bytewise), kSecondHold on the other. The two ends' keepalive-triggered handshakes are
// then a second apart, and the second one usually finds the session the first made.
// Traffic is never held: a packet for a new peer starts a handshake at once, as always, and
// has kFirstHold to itself, far more than a handshake takes. The holds are short because
// they cost when one end's netmap arrives first and its initiation reaches the other end
// before that end knows the peer (dropped there): the tunnel then waits for the other
// end's hold (one run of the hospital test: 1073 ms instead of about 50 ms, with 1 s and
// 2.5 s holds).
//
// Only while armed: for peers that arrive live, on a stream that was already open. The
// first netmap of a stream connection (after a start, a reconnect, a quarantine) carries
// what changed while this node was away, and the other ends have had it since then: they
// may hold a session with this node's previous run, which its new WireGuard device does
// not have, or have already sent an initiation it dropped; only a handshake from this end
// repairs that at once. So the owner disarms the stagger when a stream connects and arms
// it after applying that stream's first netmap. (Measured in the hospital test with 1 s
// and 2.5 s holds on every new peer: node restart -> first packet 1095 ms, unquarantine
// -> first packet 2773 ms; disarmed for a stream's first netmap: 223 ms and 1044 ms.)
//
// Pure: no clock of its own, no I/O. Not thread-safe; one per interface.
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "node/netmap/wg_key.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node {

class KeepaliveStagger {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kFirstHold = std::chrono::milliseconds(500);
  static constexpr Clock::duration kSecondHold = std::chrono::milliseconds(1500);

  explicit KeepaliveStagger(WgKey self) : self_(self) {}

  // Sets to 0 the persistent keepalive of every peer of `wg` that first appeared, while
  // armed, less than its hold before `now` (hold: kFirstHold if self < peer, else
  // kSecondHold). A peer first appears in the first call whose `wg` lists it; a peer
  // missing from a call is forgotten, and is new again if it returns (its WireGuard session
  // went with it). Peers that appeared while disarmed, and peers with a keepalive of 0, are
  // left alone. Returns the earliest time at which a held keepalive is due, for the caller
  // to apply `wg` again then; nullopt when nothing is held.
  std::optional<Clock::time_point> hold(WgConfig& wg, Clock::time_point now);

  // arm(): from now on, peers that appear are new tunnels and are held. disarm(): they are
  // not (peers already held stay held). Both idempotent.
  void arm() { armed_ = true; }
  void disarm() { armed_ = false; }
  bool armed() const { return armed_; }

  // Forgets every peer (after all peers were removed outside hold(), e.g. drop_all):
  // each is new again the next time it appears. Leaves armed() as it is.
  void forget() { first_seen_.clear(); }

  // How long this end holds the keepalive of a new `peer`.
  Clock::duration hold_for(const WgKey& peer) const {
    return self_ < peer ? kFirstHold : kSecondHold;
  }

 private:
  WgKey self_;
  bool armed_ = false;
  // When each peer first appeared; nullopt for one that appeared while disarmed (never held).
  std::map<WgKey, std::optional<Clock::time_point>> first_seen_;
};

}  // namespace ward::node
