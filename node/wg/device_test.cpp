#include "node/wg/device.hpp"

#include <cstring>
#include <deque>
#include <functional>

#include <catch2/catch.hpp>

#include "node/wg/uapi.hpp"

namespace ward::wg {
namespace {

constexpr std::int64_t kWall0 = 1'700'000'000LL * kSecond;

IpPrefix host4(std::uint8_t last) {
  IpPrefix p;
  p.family = 4;
  p.addr[0] = 100, p.addr[1] = 64, p.addr[2] = 0, p.addr[3] = last;
  p.cidr = 32;
  return p;
}

// A minimal IPv4 packet 100.64.0.src -> 100.64.0.dst with `payload` bytes of a pattern.
std::vector<std::uint8_t> ipv4(std::uint8_t src, std::uint8_t dst, std::size_t payload,
                               std::uint8_t fill = 0x5a) {
  std::vector<std::uint8_t> p(20 + payload, fill);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = static_cast<std::uint8_t>(p.size() >> 8);
  p[3] = static_cast<std::uint8_t>(p.size());
  const std::uint8_t s[4] = {100, 64, 0, src};
  const std::uint8_t d[4] = {100, 64, 0, dst};
  std::memcpy(&p[12], s, 4);
  std::memcpy(&p[16], d, 4);
  return p;
}

struct Wire {
  Endpoint from;
  Endpoint to;
  std::vector<std::uint8_t> bytes;
};

struct Side {
  explicit Side(std::uint8_t last) : addr(Endpoint::v4({192, 0, 2, last}, 51820)), overlay(last) {
    dev.set_private_key(key);
  }
  Device dev{[] { return Nanos{0}; }};
  PrivateKey key = generate_private_key();
  Endpoint addr;
  std::uint8_t overlay;
  std::vector<std::vector<std::uint8_t>> tun;
  const PublicKey& pub() const { return dev.identity().public_key(); }
};

// Two devices and an in-memory network between them (192.0.2.0/24).
struct Net {
  Side a{1};
  Side b{2};
  Time now{0, kWall0};
  Output out;
  std::deque<Wire> wire;
  std::vector<Wire> seen;                    // everything ever put on the wire
  std::function<bool(const Wire&)> drop_if;  // a lossy link

  // split: the data-plane path of the daemon, i.e. deferred sealing on the way out and
  // begin_open / open_datagram / finish_open on the way in, instead of the serial calls.
  bool split = false;

  explicit Net(bool split_path = false) : split(split_path) {
    out.set_defer_seal(split);
    connect(a, b);
    connect(b, a);
  }
  static void connect(Side& x, Side& y) {
    REQUIRE(x.dev.add_peer(y.pub()));
    REQUIRE(x.dev.set_endpoint(y.pub(), y.addr));
    REQUIRE(x.dev.add_allowed_ip(y.pub(), host4(y.overlay)));
  }
  void drain(Side& s) {
    out.seal_all();
    for (const auto& d : out.datagrams()) {
      Wire w{s.addr, d.to, d.bytes};
      seen.push_back(w);
      if (!drop_if || !drop_if(w)) wire.push_back(std::move(w));
    }
    for (const auto& t : out.tun_packets())
      s.tun.emplace_back(t.bytes.begin(), t.bytes.end());
    out.clear();
  }
  Side* side_at(const Endpoint& e) {
    if (e.address().size() == 4 && std::memcmp(e.addr.data(), a.addr.addr.data(), 4) == 0)
      return &a;
    if (e.address().size() == 4 && std::memcmp(e.addr.data(), b.addr.addr.data(), 4) == 0)
      return &b;
    return nullptr;
  }
  void deliver(const Wire& w) {
    Side* dst = side_at(w.to);
    if (!dst) return;
    // Outlives drain(): finish_open leaves the plaintext in it as a view.
    std::vector<std::uint8_t> buf;
    if (split && !w.bytes.empty() && w.bytes[0] == 4) {
      buf = w.bytes;
      OpenJob job;
      if (dst->dev.begin_open(buf, now, job)) {
        (void)open_datagram(job, buf);
        dst->dev.finish_open(job, buf, w.from, now, out);
      }
    } else {
      dst->dev.receive_datagram(w.bytes, w.from, now, out);
    }
    drain(*dst);
  }
  void run() {
    for (int guard = 0; !wire.empty(); ++guard) {
      REQUIRE(guard < 1000);
      Wire w = std::move(wire.front());
      wire.pop_front();
      deliver(w);
    }
  }
  void send(Side& s, const std::vector<std::uint8_t>& packet) {
    s.dev.send_ip_packet(packet, now, out);
    drain(s);
    run();
  }
  void advance(Nanos d) {
    now.mono += d;
    now.wall += d;
    a.dev.tick(now, out);
    drain(a);
    b.dev.tick(now, out);
    drain(b);
    run();
  }
  // Advances in small steps so every timer fires on time.
  void advance_by_steps(Nanos total, Nanos step = kSecond / 2) {
    for (Nanos t = 0; t < total; t += step)
      advance(step);
  }
};

TEST_CASE("device: handshake on first packet, then data both ways", "[unit]") {
  Net n{GENERATE(false, true)};
  auto p1 = ipv4(1, 2, 100);
  n.send(n.a, p1);
  REQUIRE(n.b.tun.size() == 1);
  CHECK(n.b.tun[0] == p1);  // padding trimmed
  // initiation, response, data (the staged packet confirms the session)
  REQUIRE(n.seen.size() == 3);
  CHECK(n.seen[0].bytes.size() == kInitiationLen);
  CHECK(n.seen[1].bytes.size() == kResponseLen);
  CHECK(n.seen[2].bytes.size() == kTransportHeaderLen + 128 + kTagLen);  // 120 padded to 128
  auto p2 = ipv4(2, 1, 33);
  n.send(n.b, p2);
  REQUIRE(n.a.tun.size() == 1);
  CHECK(n.a.tun[0] == p2);
  CHECK(n.seen.size() == 4);  // b encrypts straight away: its keypair is current now

  const Peer* ab = n.a.dev.find_peer(n.b.pub());
  const Peer* ba = n.b.dev.find_peer(n.a.pub());
  REQUIRE(ab);
  REQUIRE(ba);
  CHECK(ab->last_handshake_wall_ns == kWall0);
  CHECK(ba->last_handshake_wall_ns == kWall0);
  CHECK(ab->tx_bytes == ba->rx_bytes);
  CHECK(ba->tx_bytes == ab->rx_bytes);
  CHECK(ab->tx_bytes == kInitiationLen + 160);
  CHECK(ab->rx_bytes == kResponseLen + 96);  // 53 bytes padded to 64
  // Many packets both ways, all delivered in order, counters consistent.
  for (int i = 0; i < 50; ++i) {
    n.send(n.a, ipv4(1, 2, static_cast<std::size_t>(i * 13), static_cast<std::uint8_t>(i)));
    n.send(n.b, ipv4(2, 1, static_cast<std::size_t>(i * 7), static_cast<std::uint8_t>(i)));
  }
  CHECK(n.b.tun.size() == 51);
  CHECK(n.a.tun.size() == 51);
  CHECK(n.b.tun[50] == ipv4(1, 2, 49 * 13, 49));
  CHECK(ab->tx_bytes == ba->rx_bytes);
  CHECK(n.a.dev.drops().decrypt_failed == 0);
  CHECK(n.b.dev.drops().replayed == 0);
}

TEST_CASE("device: replayed transport packets are dropped", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  n.send(n.a, ipv4(1, 2, 11));
  REQUIRE(n.b.tun.size() == 2);
  const Wire data = n.seen.back();
  REQUIRE(data.bytes[0] == 4);
  n.deliver(data);
  n.deliver(n.seen[2]);
  CHECK(n.b.tun.size() == 2);
  CHECK(n.b.dev.drops().replayed == 2);
  // A replayed initiation is refused too (its timestamp is not newer).
  n.deliver(n.seen[0]);
  CHECK(n.b.dev.drops().handshake_failed == 1);
}

TEST_CASE("device: tampered transport packets are dropped", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  Wire w = n.seen.back();
  w.bytes[kTransportHeaderLen + 3] ^= 1;
  n.deliver(w);
  CHECK(n.b.dev.drops().decrypt_failed == 1);
  CHECK(n.b.tun.size() == 1);
}

TEST_CASE("device: a packet from outside the peer's allowed IPs is dropped", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  n.send(n.b, ipv4(2, 1, 10));
  REQUIRE(n.a.tun.size() == 1);
  // b sends with a spoofed inner source 100.64.0.99 (b routes by destination, so it goes).
  n.send(n.b, ipv4(99, 1, 10));
  CHECK(n.a.tun.size() == 1);
  CHECK(n.a.dev.drops().bad_source == 1);
  // And the source of another configured peer is refused just the same.
  Side c(3);
  REQUIRE(n.a.dev.add_peer(c.pub()));
  REQUIRE(n.a.dev.add_allowed_ip(c.pub(), host4(3)));
  n.send(n.b, ipv4(3, 1, 10));
  CHECK(n.a.dev.drops().bad_source == 2);
  // Packets to destinations no peer owns never leave.
  const auto before = n.seen.size();
  n.send(n.a, ipv4(1, 77, 10));
  CHECK(n.seen.size() == before);
  CHECK(n.a.dev.drops().no_route == 1);
}

TEST_CASE("device: rekey after REKEY_AFTER_TIME keeps traffic flowing", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  n.send(n.b, ipv4(2, 1, 10));
  const Peer* ab = n.a.dev.find_peer(n.b.pub());
  const std::uint32_t first_index = ab->current->local_index;
  // Keep traffic flowing (b answers) until past 120 s.
  for (int s = 0; s < 121; s += 5) {
    n.advance(5 * kSecond);
    n.send(n.a, ipv4(1, 2, 10));
    n.send(n.b, ipv4(2, 1, 10));
  }
  REQUIRE(ab->current);
  CHECK(ab->current->local_index != first_index);
  CHECK(ab->previous);
  CHECK(ab->last_handshake_wall_ns > kWall0 + 119 * kSecond);
  const std::size_t got = n.b.tun.size();
  n.send(n.a, ipv4(1, 2, 10));
  CHECK(n.b.tun.size() == got + 1);
  CHECK(n.a.dev.drops().decrypt_failed == 0);
  CHECK(n.b.dev.drops().decrypt_failed == 0);
}

TEST_CASE("device: keys older than REJECT_AFTER_TIME are never used", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  // Cut the link, then let 181 s pass.
  n.drop_if = [](const Wire&) { return true; };
  n.now.mono += 181 * kSecond;
  n.now.wall += 181 * kSecond;
  const auto before = n.seen.size();
  n.a.dev.send_ip_packet(ipv4(1, 2, 10), n.now, n.out);
  n.drain(n.a);
  // Not encrypted with the dead keypair: staged, and a fresh initiation goes out instead.
  REQUIRE(n.seen.size() == before + 1);
  CHECK(n.seen.back().bytes.size() == kInitiationLen);
  // A stale data packet sent by a long ago is refused by b.
  n.drop_if = nullptr;
  n.deliver(n.seen[2]);
  CHECK(n.b.dev.drops().decrypt_failed + n.b.dev.drops().replayed == 1);
}

TEST_CASE("device: preshared keys must match", "[unit]") {
  Net n{GENERATE(false, true)};
  Key psk;
  random_bytes(psk.span());
  SECTION("both sides") {
    REQUIRE(n.a.dev.set_preshared_key(n.b.pub(), psk));
    REQUIRE(n.b.dev.set_preshared_key(n.a.pub(), psk));
    n.send(n.a, ipv4(1, 2, 10));
    CHECK(n.b.tun.size() == 1);
  }
  SECTION("one side only") {
    REQUIRE(n.a.dev.set_preshared_key(n.b.pub(), psk));
    n.send(n.a, ipv4(1, 2, 10));
    CHECK(n.b.tun.empty());
    CHECK(n.a.dev.drops().handshake_failed == 1);
    CHECK_FALSE(n.a.dev.find_peer(n.b.pub())->current);
    CHECK_FALSE(n.a.dev.find_peer(n.b.pub())->last_handshake_wall_ns);
  }
}

TEST_CASE("device: under load, a cookie reply then mac2 gets the handshake through", "[unit]") {
  Net n{GENERATE(false, true)};
  n.b.dev.set_under_load(true);
  n.send(n.a, ipv4(1, 2, 10));
  CHECK(n.b.tun.empty());
  CHECK(n.b.dev.drops().cookies_sent == 1);
  REQUIRE(n.seen.size() == 2);
  CHECK(n.seen[1].bytes.size() == kCookieReplyLen);
  // a retransmits after REKEY_TIMEOUT (+ jitter 0) with mac2 set from the cookie.
  n.advance(kRekeyTimeout);
  REQUIRE(n.b.tun.size() == 1);
  CHECK(n.b.dev.drops().cookies_sent == 1);
  CHECK(n.b.dev.drops().invalid_mac == 0);
}

TEST_CASE("device: handshake messages with a bad mac1 are dropped before any crypto", "[unit]") {
  Net n{GENERATE(false, true)};
  n.drop_if = [](const Wire&) { return true; };
  n.send(n.a, ipv4(1, 2, 10));
  Wire init = n.seen[0];
  init.bytes[kInitiationMac1Offset] ^= 1;
  n.deliver(init);
  CHECK(n.b.dev.drops().invalid_mac == 1);
  CHECK(n.seen.size() == 1);
}

TEST_CASE("device: roaming, the endpoint follows the last authenticated source", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  n.send(n.b, ipv4(2, 1, 10));
  const Endpoint moved = Endpoint::v4({192, 0, 2, 1}, 40000);
  // a's next packet arrives from a new port.
  n.a.dev.send_ip_packet(ipv4(1, 2, 10), n.now, n.out);
  n.out.seal_all();
  REQUIRE(n.out.datagrams().size() == 1);
  std::vector<std::uint8_t> bytes = n.out.datagrams()[0].bytes;
  n.out.clear();
  n.b.dev.receive_datagram(bytes, moved, n.now, n.out);
  n.out.clear();
  CHECK(n.b.dev.find_peer(n.a.pub())->endpoint == moved);
  n.b.dev.send_ip_packet(ipv4(2, 1, 10), n.now, n.out);
  REQUIRE(n.out.datagrams().size() == 1);
  CHECK(n.out.datagrams()[0].to == moved);
  n.out.clear();
  // An unauthenticated packet from elsewhere does not move it.
  bytes[20] ^= 1;
  n.b.dev.receive_datagram(bytes, Endpoint::v4({203, 0, 113, 9}, 1), n.now, n.out);
  CHECK(n.b.dev.find_peer(n.a.pub())->endpoint == moved);
}

TEST_CASE("device: passive keepalive 10 s after receiving data", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  const auto before = n.seen.size();
  n.advance(kKeepaliveTimeout);
  REQUIRE(n.seen.size() == before + 1);
  CHECK(n.seen.back().from == n.b.addr);
  CHECK(n.seen.back().bytes.size() == kTransportMinLen);  // empty payload
  CHECK(n.a.tun.empty());                                 // keepalives are not written to TUN
}

TEST_CASE("device: persistent keepalive", "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  REQUIRE(n.a.dev.set_persistent_keepalive(n.b.pub(), 25, n.now, n.out));
  n.drain(n.a);
  n.run();
  const auto count_from_a = [&] {
    std::size_t k = 0;
    for (const auto& w : n.seen)
      k += w.from == n.a.addr && w.bytes.size() == kTransportMinLen;
    return k;
  };
  CHECK(count_from_a() == 1);  // enabling sends one at once
  n.advance_by_steps(60 * kSecond, kSecond);
  CHECK(count_from_a() == 3);  // at 25 s and 50 s
}

TEST_CASE("device: retries every 5 s, gives up after 90 s, zeroes keys at 540 s", "[unit]") {
  Net n{GENERATE(false, true)};
  n.drop_if = [](const Wire&) { return true; };
  n.send(n.a, ipv4(1, 2, 10));
  n.advance_by_steps(120 * kSecond, kSecond);
  std::size_t inits = 0;
  for (const auto& w : n.seen)
    inits += w.bytes.size() == kInitiationLen;
  CHECK(inits == kMaxTimerHandshakes + 2);  // first + 19 retries
  const Peer* ab = n.a.dev.find_peer(n.b.pub());
  CHECK(ab->staged.empty());  // purged on giving up
  // After a session, the keys are wiped 540 s later if nothing renews them.
  Net m;
  m.send(m.a, ipv4(1, 2, 10));
  m.drop_if = [](const Wire&) { return true; };
  m.advance(3 * kRejectAfterTime);
  const Peer* p = m.a.dev.find_peer(m.b.pub());
  CHECK_FALSE(p->current);
  CHECK_FALSE(p->previous);
  CHECK_FALSE(p->next);
}

TEST_CASE("device: low-order peer keys never produce a packet", "[unit]") {
  Device d([] { return Nanos{0}; });
  d.set_private_key(generate_private_key());
  PublicKey zero{};
  REQUIRE(d.add_peer(zero));
  REQUIRE(d.set_endpoint(zero, Endpoint::v4({192, 0, 2, 9}, 1)));
  REQUIRE(d.add_allowed_ip(zero, host4(9)));
  Output out;
  d.send_ip_packet(ipv4(1, 9, 10), Time{0, kWall0}, out);
  d.tick(Time{10 * kSecond, kWall0 + 10 * kSecond}, out);
  CHECK(out.datagrams().empty());
}

TEST_CASE("device: initiations from unknown keys get no answer", "[unit]") {
  Net n{GENERATE(false, true)};
  Side c(3);
  REQUIRE(c.dev.add_peer(n.b.pub()));
  REQUIRE(c.dev.set_endpoint(n.b.pub(), n.b.addr));
  REQUIRE(c.dev.add_allowed_ip(n.b.pub(), host4(2)));
  c.dev.send_ip_packet(ipv4(3, 2, 10), n.now, n.out);
  REQUIRE(n.out.datagrams().size() == 1);
  std::vector<std::uint8_t> init = n.out.datagrams()[0].bytes;
  n.out.clear();
  n.b.dev.receive_datagram(init, c.addr, n.now, n.out);
  CHECK(n.out.empty());
  CHECK(n.b.dev.drops().handshake_failed == 1);
}

// An initiation from C to B, made by a Device of C's own that has B as its peer.
std::vector<std::uint8_t> initiation_from(Side& c, Side& to, Net& n) {
  REQUIRE(c.dev.add_peer(to.pub()));
  REQUIRE(c.dev.set_endpoint(to.pub(), to.addr));
  REQUIRE(c.dev.add_allowed_ip(to.pub(), host4(to.overlay)));
  Output out;
  c.dev.send_ip_packet(ipv4(c.overlay, to.overlay, 10), n.now, out);
  REQUIRE(out.datagrams().size() == 1);
  return out.datagrams()[0].bytes;
}

TEST_CASE("device: an initiation that arrives before its peer is answered once the peer is added",
          "[unit]") {
  Net n{GENERATE(false, true)};
  const bool with_psk = GENERATE(false, true);
  Key psk;
  random_bytes(psk.span());
  if (with_psk) REQUIRE(n.a.dev.set_preshared_key(n.b.pub(), psk));
  REQUIRE(n.b.dev.remove_peer(n.a.pub()));

  // A's first packet starts a handshake B cannot answer yet: B does not know A.
  n.send(n.a, ipv4(1, 2, 10));
  CHECK(n.b.dev.drops().handshake_failed == 1);
  CHECK(n.b.tun.empty());
  n.advance(kSecond);  // well within A's 5 s before it would retry
  CHECK(n.b.tun.empty());

  // The controller's netmap reaches B: A becomes a peer, and B answers at once.
  Net::connect(n.b, n.a);
  if (with_psk) REQUIRE(n.b.dev.set_preshared_key(n.a.pub(), psk));
  n.b.dev.answer_early_initiations(n.now, n.out);
  REQUIRE(n.out.datagrams().size() == 1);
  CHECK(n.out.datagrams()[0].bytes[0] == 2);  // a handshake response
  n.drain(n.b);
  n.run();
  REQUIRE(n.b.tun.size() == 1);  // A's staged packet, sent as soon as A had the session
  CHECK(n.b.tun[0] == ipv4(1, 2, 10));
  CHECK(n.b.dev.drops().early_answered == 1);
  CHECK(n.a.dev.find_peer(n.b.pub())->current);

  // Answered once: the initiation is no longer kept.
  n.b.dev.answer_early_initiations(n.now, n.out);
  CHECK(n.out.empty());
  CHECK(n.b.dev.drops().early_answered == 1);
  // And traffic flows both ways on the session.
  n.send(n.b, ipv4(2, 1, 20));
  CHECK(n.a.tun.size() == 1);
}

TEST_CASE("device: early initiations expire, stay bounded, and are checked again when answered",
          "[unit]") {
  Net n;
  SECTION("older than REKEY_TIMEOUT: not answered") {
    Side c(3);
    n.b.dev.receive_datagram(initiation_from(c, n.b, n), c.addr, n.now, n.out);
    CHECK(n.out.empty());
    n.now.mono += kEarlyInitiationLifetime + 1;
    Net::connect(n.b, c);
    n.b.dev.answer_early_initiations(n.now, n.out);
    CHECK(n.out.empty());
    CHECK(n.b.dev.drops().early_answered == 0);
  }
  SECTION("at most kMaxEarlyInitiations: the oldest goes") {
    std::vector<std::unique_ptr<Side>> others;
    for (std::size_t i = 0; i <= kMaxEarlyInitiations; ++i) {
      others.push_back(std::make_unique<Side>(static_cast<std::uint8_t>(10 + i)));
      n.now.mono += 1;
      n.b.dev.receive_datagram(initiation_from(*others.back(), n.b, n), others.back()->addr,
                               n.now, n.out);
    }
    CHECK(n.out.empty());
    Net::connect(n.b, *others.front());  // evicted by the 17th
    Net::connect(n.b, *others.back());
    n.b.dev.answer_early_initiations(n.now, n.out);
    REQUIRE(n.out.datagrams().size() == 1);
    CHECK(n.out.datagrams()[0].to == others.back()->addr);
    CHECK(n.b.dev.drops().early_answered == 1);
  }
  SECTION("a tampered initiation is kept but fails the checks when answered") {
    // A's initiation with its encrypted timestamp altered and mac1 made valid again: its
    // static key still decrypts to A (so B keeps it under A), but the AEAD of the
    // timestamp, which needs A's static DH, fails when B answers it.
    REQUIRE(n.b.dev.remove_peer(n.a.pub()));
    n.a.dev.send_ip_packet(ipv4(1, 2, 10), n.now, n.out);
    REQUIRE(n.out.datagrams().size() == 1);
    std::vector<std::uint8_t> init = n.out.datagrams()[0].bytes;
    n.out.clear();
    init[100] ^= 1;  // inside encrypted_timestamp [88, 116)
    CookieMaker macs;
    macs.init(n.b.pub());
    macs.add_macs(init, n.now.mono);
    n.b.dev.receive_datagram(init, n.a.addr, n.now, n.out);
    CHECK(n.out.empty());
    CHECK(n.b.dev.drops().invalid_mac == 0);  // it passed mac1: kept, not dropped early
    const auto failed = n.b.dev.drops().handshake_failed;
    Net::connect(n.b, n.a);
    n.b.dev.answer_early_initiations(n.now, n.out);
    CHECK(n.out.empty());
    CHECK(n.b.dev.drops().handshake_failed == failed + 1);
    CHECK(n.b.dev.drops().early_answered == 0);
  }
  SECTION("a new private key forgets them") {
    Side c(3);
    n.b.dev.receive_datagram(initiation_from(c, n.b, n), c.addr, n.now, n.out);
    n.b.dev.set_private_key(generate_private_key());
    Net::connect(n.b, c);
    n.b.dev.answer_early_initiations(n.now, n.out);
    CHECK(n.out.empty());
  }
}

TEST_CASE("device: uapi_set answers an early initiation before starting its own keepalive",
          "[unit]") {
  Net n;
  REQUIRE(n.b.dev.remove_peer(n.a.pub()));
  n.send(n.a, ipv4(1, 2, 10));
  REQUIRE(n.b.dev.drops().handshake_failed == 1);
  const std::string set = "public_key=" + hex_key(n.a.pub()) +
                          "\nendpoint=192.0.2.1:51820\nallowed_ip=100.64.0.1/32\n"
                          "persistent_keepalive_interval=25\n";
  auto r = uapi_set(n.b.dev, set, n.now, n.out);
  REQUIRE(r.error == 0);
  // B's response to A's initiation, and no initiation of B's own that would collide with
  // it (the keepalive waits for the session).
  REQUIRE_FALSE(n.out.datagrams().empty());
  CHECK(n.out.datagrams()[0].bytes[0] == 2);
  for (const auto& d : n.out.datagrams())
    CHECK(d.bytes[0] != 1);
  n.drain(n.b);
  n.run();
  CHECK(n.b.tun.size() == 1);
  CHECK(n.b.dev.drops().early_answered == 1);
  CHECK(n.a.dev.find_peer(n.b.pub())->current);
}

TEST_CASE("device: configuration errors and peer removal", "[unit]") {
  Net n{GENERATE(false, true)};
  auto own = n.a.dev.add_peer(n.a.pub());
  REQUIRE_FALSE(own);
  CHECK(own.error().code() == ErrorCode::kInvalidArgument);
  PublicKey stranger{};
  stranger[0] = 9;
  CHECK_FALSE(n.a.dev.set_endpoint(stranger, n.b.addr));
  CHECK_FALSE(n.a.dev.set_endpoint(n.b.pub(), Endpoint{}));
  IpPrefix bad = host4(1);
  bad.cidr = 40;
  CHECK_FALSE(n.a.dev.add_allowed_ip(n.b.pub(), bad));
  n.send(n.a, ipv4(1, 2, 10));
  REQUIRE(n.a.dev.remove_peer(n.b.pub()));
  CHECK(n.a.dev.peers().empty());
  CHECK(n.a.dev.allowed_ips().size() == 0);
  CHECK_FALSE(n.a.dev.remove_peer(n.b.pub()));
  // Data for the removed peer's keys is now unknown.
  n.send(n.b, ipv4(2, 1, 10));
  CHECK(n.a.dev.drops().unknown_index == 1);
}

TEST_CASE("device: re-setting the same private key keeps sessions; a new key restarts them",
          "[unit]") {
  Net n{GENERATE(false, true)};
  n.send(n.a, ipv4(1, 2, 10));
  n.send(n.b, ipv4(2, 1, 10));
  const auto before = n.seen.size();
  n.a.dev.set_private_key(n.a.key);
  n.send(n.a, ipv4(1, 2, 10));
  CHECK(n.seen.size() == before + 1);  // straight to data, no new handshake
  CHECK(n.seen.back().bytes[0] == 4);
  PrivateKey other = generate_private_key();
  n.a.dev.set_private_key(other);
  n.now.mono += kRekeyTimeout;  // past the initiation rate limit
  n.a.dev.send_ip_packet(ipv4(1, 2, 10), n.now, n.out);
  REQUIRE(n.out.datagrams().size() == 1);
  CHECK(n.out.datagrams()[0].bytes.size() == kInitiationLen);  // old session no longer sends
  n.out.clear();
}

TEST_CASE("device: IPv6 inner packets route and source-check too", "[unit]") {
  Net n{GENERATE(false, true)};
  auto v6 = [](std::uint8_t last) {
    IpPrefix p;
    p.family = 6;
    p.addr = {0xfd, 0x7a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
    p.cidr = 128;
    return p;
  };
  REQUIRE(n.a.dev.add_allowed_ip(n.b.pub(), v6(2)));
  REQUIRE(n.b.dev.add_allowed_ip(n.a.pub(), v6(1)));
  auto packet = [&](std::uint8_t src, std::uint8_t dst) {
    std::vector<std::uint8_t> p(40 + 8, 0);
    p[0] = 0x60;
    p[5] = 8;
    std::memcpy(&p[8], v6(src).addr.data(), 16);
    std::memcpy(&p[24], v6(dst).addr.data(), 16);
    return p;
  };
  n.send(n.a, packet(1, 2));
  REQUIRE(n.b.tun.size() == 1);
  CHECK(n.b.tun[0] == packet(1, 2));
  n.send(n.a, packet(7, 2));
  CHECK(n.b.tun.size() == 1);
  CHECK(n.b.dev.drops().bad_source == 1);
}

TEST_CASE("device: split receive of a group, in order, with replays and bad tags", "[unit]") {
  Net n{true};
  n.send(n.a, ipv4(1, 2, 10));
  REQUIRE(n.b.tun.size() == 1);
  // Five data messages a -> b captured off the wire, then received as one group: all
  // phase 1 first, then all phase 2 (in reverse, as workers may), then phase 3 in order.
  n.drop_if = [](const Wire&) { return true; };
  for (int i = 0; i < 5; ++i)
    n.send(n.a, ipv4(1, 2, static_cast<std::size_t>(20 + i), static_cast<std::uint8_t>(i)));
  n.drop_if = nullptr;
  std::vector<std::vector<std::uint8_t>> group;
  for (std::size_t i = n.seen.size() - 5; i < n.seen.size(); ++i)
    group.push_back(n.seen[i].bytes);
  group.push_back(group[1]);  // a replay inside the group
  group.push_back(group[2]);  // and a forgery
  group.back()[kTransportHeaderLen] ^= 1;
  group.push_back({4, 0, 0, 0, 1, 2});  // and junk
  std::vector<OpenJob> jobs(group.size());
  std::vector<bool> begun(group.size());
  for (std::size_t i = 0; i < group.size(); ++i)
    begun[i] = n.b.dev.begin_open(group[i], n.now, jobs[i]);
  CHECK(begun == std::vector<bool>{true, true, true, true, true, true, true, false});
  for (std::size_t i = group.size(); i-- > 0;)
    if (begun[i]) (void)open_datagram(jobs[i], group[i]);
  for (std::size_t i = 0; i < group.size(); ++i)
    if (begun[i]) n.b.dev.finish_open(jobs[i], group[i], n.a.addr, n.now, n.out);
  n.drain(n.b);
  REQUIRE(n.b.tun.size() == 6);
  for (int i = 0; i < 5; ++i)
    CHECK(n.b.tun[1 + static_cast<std::size_t>(i)] ==
          ipv4(1, 2, static_cast<std::size_t>(20 + i), static_cast<std::uint8_t>(i)));
  CHECK(n.b.dev.drops().replayed == 1);
  CHECK(n.b.dev.drops().decrypt_failed == 1);
  CHECK(n.b.dev.drops().malformed == 1);
}

TEST_CASE("device: a deferred datagram is plaintext until sealed", "[unit]") {
  Net n{true};
  n.send(n.a, ipv4(1, 2, 10));
  const auto pkt = ipv4(1, 2, 40, 0x77);
  Output o;
  o.set_defer_seal(true);
  n.a.dev.send_ip_packet(pkt, n.now, o);
  REQUIRE(o.datagrams().size() == 1);
  REQUIRE(o.seal_jobs().size() == 1);
  const auto before = o.datagrams()[0].bytes;
  CHECK(std::equal(pkt.begin(), pkt.end(), before.begin() + kTransportHeaderLen));
  OpenJob job;
  std::vector<std::uint8_t> copy = before;
  REQUIRE(n.b.dev.begin_open(copy, n.now, job));
  CHECK_FALSE(open_datagram(job, copy));  // not sealed: the tag cannot verify
  o.seal_all();
  CHECK(o.seal_jobs().empty());
  o.seal_all();  // a second seal finds nothing left to do
  copy = o.datagrams()[0].bytes;
  CHECK_FALSE(std::equal(pkt.begin(), pkt.end(), copy.begin() + kTransportHeaderLen));
  REQUIRE(n.b.dev.begin_open(copy, n.now, job));
  REQUIRE(open_datagram(job, copy));
  n.b.dev.finish_open(job, copy, n.a.addr, n.now, n.out);
  // The plaintext is handed out where it was decrypted, trimmed of padding, not copied.
  REQUIRE(n.out.tun_packets().size() == 1);
  CHECK(n.out.tun_packets()[0].bytes.data() == copy.data() + kTransportHeaderLen);
  CHECK(n.out.tun_packets()[0].bytes.size() == pkt.size());
  n.drain(n.b);
  REQUIRE(n.b.tun.size() == 2);
  CHECK(n.b.tun[1] == pkt);
  o.clear();
  CHECK(o.seal_jobs().empty());
}

}  // namespace
}  // namespace ward::wg
