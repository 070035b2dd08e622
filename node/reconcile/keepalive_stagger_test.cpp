#include "node/reconcile/keepalive_stagger.hpp"

#include <catch2/catch.hpp>

#include "node/reconcile/test_util.hpp"

using namespace ward::node;
using namespace ward::node::testing;
using namespace std::chrono_literals;
using Clock = KeepaliveStagger::Clock;

namespace {

WgConfig config_with(std::initializer_list<unsigned> peers, std::uint16_t keepalive = 25) {
  WgConfig c;
  for (unsigned n : peers) {
    WgPeerConfig p;
    p.public_key = key_n(n);
    p.allowed_ips = {pfx(("100.64.0." + std::to_string(n) + "/32").c_str())};
    p.persistent_keepalive = keepalive;
    c.peers.push_back(p);
  }
  return c;
}

std::uint16_t keepalive_of(const WgConfig& c, unsigned n) {
  for (const auto& p : c.peers)
    if (p.public_key == key_n(n)) return p.persistent_keepalive;
  FAIL("peer " << n << " not in the config");
  return 0;
}

}  // namespace

TEST_CASE("keepalive stagger: the end with the smaller key goes first, the other later", "[unit]") {
  const Clock::time_point t0{};
  KeepaliveStagger me(key_n(5));  // peer 3 < me < peer 9
  me.arm();
  CHECK(me.hold_for(key_n(9)) == KeepaliveStagger::kFirstHold);
  CHECK(me.hold_for(key_n(3)) == KeepaliveStagger::kSecondHold);
  // Both ends of one pair agree on who goes first.
  CHECK(KeepaliveStagger(key_n(9)).hold_for(key_n(5)) == KeepaliveStagger::kSecondHold);
  CHECK(KeepaliveStagger(key_n(3)).hold_for(key_n(5)) == KeepaliveStagger::kFirstHold);
  STATIC_REQUIRE(KeepaliveStagger::kSecondHold - KeepaliveStagger::kFirstHold >= 1s);

  WgConfig c = config_with({3, 9});
  auto due = me.hold(c, t0);
  CHECK(keepalive_of(c, 3) == 0);
  CHECK(keepalive_of(c, 9) == 0);
  REQUIRE(due);
  CHECK(*due == t0 + KeepaliveStagger::kFirstHold);

  // At the first hold's end peer 9 gets its keepalive; peer 3 still waits.
  c = config_with({3, 9});
  due = me.hold(c, t0 + KeepaliveStagger::kFirstHold);
  CHECK(keepalive_of(c, 9) == 25);
  CHECK(keepalive_of(c, 3) == 0);
  REQUIRE(due);
  CHECK(*due == t0 + KeepaliveStagger::kSecondHold);

  c = config_with({3, 9});
  due = me.hold(c, t0 + KeepaliveStagger::kSecondHold);
  CHECK(keepalive_of(c, 3) == 25);
  CHECK(keepalive_of(c, 9) == 25);
  CHECK_FALSE(due);
}

TEST_CASE("keepalive stagger: only new peers are held; a peer that leaves is new again", "[unit]") {
  const Clock::time_point t0{};
  KeepaliveStagger me(key_n(1));
  me.arm();
  WgConfig c = config_with({2});
  REQUIRE(me.hold(c, t0));

  // Long after: peer 2 is old, peer 4 joins and is held, measured from its own arrival.
  const auto t1 = t0 + 1h;
  c = config_with({2, 4});
  auto due = me.hold(c, t1);
  CHECK(keepalive_of(c, 2) == 25);
  CHECK(keepalive_of(c, 4) == 0);
  REQUIRE(due);
  CHECK(*due == t1 + me.hold_for(key_n(4)));

  // Peer 2 leaves (its session goes with it) and comes back: held again.
  c = config_with({4});
  (void)me.hold(c, t1 + 1min);
  c = config_with({2, 4});
  due = me.hold(c, t1 + 2min);
  CHECK(keepalive_of(c, 2) == 0);
  CHECK(keepalive_of(c, 4) == 25);
  REQUIRE(due);
  CHECK(*due == t1 + 2min + me.hold_for(key_n(2)));
}

TEST_CASE("keepalive stagger: a peer without keepalive is untouched and never due", "[unit]") {
  KeepaliveStagger me(key_n(1));
  WgConfig c = config_with({2, 3}, 0);
  CHECK_FALSE(me.hold(c, Clock::time_point{}));
  CHECK(keepalive_of(c, 2) == 0);
  CHECK(keepalive_of(c, 3) == 0);
  // Only keepalives are changed: keys, allowed IPs and endpoints stay as given.
  WgConfig d = config_with({2, 3});
  const WgConfig before = config_with({2, 3});
  (void)me.hold(d, Clock::time_point{});
  REQUIRE(d.peers.size() == before.peers.size());
  for (std::size_t i = 0; i < d.peers.size(); ++i) {
    CHECK(d.peers[i].public_key == before.peers[i].public_key);
    CHECK(d.peers[i].allowed_ips == before.peers[i].allowed_ips);
    CHECK(d.peers[i].endpoint == before.peers[i].endpoint);
  }
}

TEST_CASE("keepalive stagger: forget() makes every peer new again", "[unit]") {
  const Clock::time_point t0{};
  KeepaliveStagger me(key_n(1));
  me.arm();
  WgConfig c = config_with({2});
  (void)me.hold(c, t0);
  c = config_with({2});
  CHECK_FALSE(me.hold(c, t0 + 1h));
  me.forget();
  c = config_with({2});
  CHECK(me.hold(c, t0 + 2h));
  CHECK(keepalive_of(c, 2) == 0);
}

TEST_CASE("keepalive stagger: nothing is held while disarmed; peers seen then never are",
          "[unit]") {
  // A restarted (or reconnected, or unquarantined) node: its stream's first netmap's peers
  // had this device before it did, so their keepalives go out at once.
  const Clock::time_point t0{};
  KeepaliveStagger me(key_n(5));
  CHECK_FALSE(me.armed());
  WgConfig c = config_with({3, 9});
  CHECK_FALSE(me.hold(c, t0));
  CHECK(keepalive_of(c, 3) == 25);
  CHECK(keepalive_of(c, 9) == 25);

  me.arm();
  me.arm();  // idempotent
  CHECK(me.armed());
  // The same peers stay unheld once armed; a peer appearing now is a new tunnel.
  c = config_with({3, 9, 11});
  auto due = me.hold(c, t0 + 10ms);
  CHECK(keepalive_of(c, 3) == 25);
  CHECK(keepalive_of(c, 9) == 25);
  CHECK(keepalive_of(c, 11) == 0);
  REQUIRE(due);
  CHECK(*due == t0 + 10ms + me.hold_for(key_n(11)));

  // forget() (drop_all) leaves it armed; the peers it forgot are new again.
  me.forget();
  CHECK(me.armed());
  c = config_with({3});
  CHECK(me.hold(c, t0 + 1h));
  CHECK(keepalive_of(c, 3) == 0);
}

TEST_CASE("keepalive stagger: disarm() stops new holds but keeps those in progress", "[unit]") {
  const Clock::time_point t0{};
  KeepaliveStagger me(key_n(1));
  me.arm();
  WgConfig c = config_with({2});
  REQUIRE(me.hold(c, t0));  // peer 2 arrived live: held
  me.disarm();              // the stream dropped and reconnected
  c = config_with({2, 3});
  auto due = me.hold(c, t0 + 100ms);
  CHECK(keepalive_of(c, 2) == 0);   // still within its hold
  CHECK(keepalive_of(c, 3) == 25);  // arrived on the new stream's first netmap
  REQUIRE(due);
  CHECK(*due == t0 + me.hold_for(key_n(2)));
}
