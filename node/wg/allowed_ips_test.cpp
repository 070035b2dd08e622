#include "node/wg/allowed_ips.hpp"

#include <random>

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

IpPrefix v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint8_t cidr) {
  IpPrefix p;
  p.family = 4;
  p.addr[0] = a, p.addr[1] = b, p.addr[2] = c, p.addr[3] = d;
  p.cidr = cidr;
  return p;
}

std::optional<PeerId> look4(const AllowedIps& t, std::uint8_t a, std::uint8_t b, std::uint8_t c,
                            std::uint8_t d) {
  std::uint8_t addr[4] = {a, b, c, d};
  return t.lookup(4, addr);
}

// The deliberately naive reference: a list scanned for the longest matching prefix.
struct Naive {
  struct Entry {
    IpPrefix p;
    PeerId peer;
  };
  std::vector<Entry> entries;
  static bool contains(const IpPrefix& p, const std::uint8_t* addr) {
    for (unsigned i = 0; i < p.cidr; ++i) {
      int x = (p.addr[i / 8] >> (7 - i % 8)) & 1;
      int y = (addr[i / 8] >> (7 - i % 8)) & 1;
      if (x != y) return false;
    }
    return true;
  }
  static bool same_prefix(const IpPrefix& a, const IpPrefix& b) {
    return a.family == b.family && a.cidr == b.cidr && contains(a, b.addr.data());
  }
  void insert(const IpPrefix& p, PeerId peer) {
    for (auto& e : entries) {
      if (same_prefix(e.p, p)) {
        e.peer = peer;
        return;
      }
    }
    entries.push_back({p, peer});
  }
  void remove_by_peer(PeerId peer) {
    std::erase_if(entries, [&](const Entry& e) { return e.peer == peer; });
  }
  std::optional<PeerId> lookup(std::uint8_t family, const std::uint8_t* addr) const {
    int best = -1;
    std::optional<PeerId> out;
    for (const auto& e : entries) {
      if (e.p.family == family && contains(e.p, addr) && e.p.cidr > best) {
        best = e.p.cidr;
        out = e.peer;
      }
    }
    return out;
  }
};

TEST_CASE("allowed IPs: longest prefix wins, host bits masked", "[unit]") {
  AllowedIps t;
  REQUIRE(t.insert(v4(10, 0, 0, 0, 8), 1));
  REQUIRE(t.insert(v4(10, 1, 0, 0, 16), 2));
  REQUIRE(t.insert(v4(10, 1, 2, 3, 32), 3));
  REQUIRE(t.insert(v4(192, 0, 2, 77, 24), 4));  // host bits ignored
  CHECK(look4(t, 10, 9, 9, 9) == 1u);
  CHECK(look4(t, 10, 1, 9, 9) == 2u);
  CHECK(look4(t, 10, 1, 2, 3) == 3u);
  CHECK(look4(t, 10, 1, 2, 4) == 2u);
  CHECK(look4(t, 192, 0, 2, 1) == 4u);
  CHECK_FALSE(look4(t, 11, 0, 0, 0));
  auto p4 = t.prefixes_of(4);
  REQUIRE(p4.size() == 1);
  CHECK(p4[0] == v4(192, 0, 2, 0, 24));
  // Re-inserting moves the prefix to the new peer.
  REQUIRE(t.insert(v4(10, 1, 0, 0, 16), 5));
  CHECK(look4(t, 10, 1, 9, 9) == 5u);
  CHECK(t.prefixes_of(2).empty());
  t.remove_by_peer(1);
  CHECK_FALSE(look4(t, 10, 9, 9, 9));
  CHECK(look4(t, 10, 1, 2, 3) == 3u);
  CHECK(t.size() == 3);
  CHECK_FALSE(t.remove(v4(10, 1, 2, 3, 32), 4));  // not that peer's
  CHECK(t.remove(v4(10, 1, 2, 3, 32), 3));
  CHECK(look4(t, 10, 1, 2, 3) == 5u);
}

TEST_CASE("allowed IPs: default routes and invalid prefixes", "[unit]") {
  AllowedIps t;
  REQUIRE(t.insert(v4(0, 0, 0, 0, 0), 9));
  CHECK(look4(t, 1, 2, 3, 4) == 9u);
  CHECK_FALSE(t.insert(v4(1, 2, 3, 4, 33), 1));
  IpPrefix bad;
  bad.family = 5;
  CHECK_FALSE(t.insert(bad, 1));
  IpPrefix all6;
  all6.family = 6;
  all6.cidr = 0;
  REQUIRE(t.insert(all6, 7));
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
  CHECK(t.lookup(6, a) == 7u);
  CHECK(look4(t, 1, 2, 3, 4) == 9u);  // families are separate
  IpPrefix host6;
  host6.family = 6;
  host6.addr = a;
  host6.cidr = 128;
  REQUIRE(t.insert(host6, 8));
  CHECK(t.lookup(6, a) == 8u);
  CHECK_FALSE(t.lookup(6, std::span<const std::uint8_t>(a.data(), 4)));  // too short
  t.remove_by_peer(7);
  a[15] = 1;
  CHECK_FALSE(t.lookup(6, a));
}

TEST_CASE("allowed IPs agree with a naive list on random inserts, removals and lookups", "[unit]") {
  const auto seed = GENERATE(0x5eedULL, 1ULL, 2ULL, 3ULL, 4ULL);
  const int inserts = seed == 0x5eed ? 2000 : 300;
  std::mt19937_64 rng(seed);
  for (std::uint8_t family : {std::uint8_t{4}, std::uint8_t{6}}) {
    const unsigned bits = family == 4 ? 32 : 128;
    AllowedIps t;
    Naive naive;
    // Addresses share a few top bytes so prefixes nest and collide often.
    auto random_addr = [&] {
      std::array<std::uint8_t, 16> a{};
      for (auto& b : a)
        b = static_cast<std::uint8_t>(rng());
      a[0] = static_cast<std::uint8_t>(rng() % 4);
      if (rng() % 2) a[1] = 0;
      return a;
    };
    for (int i = 0; i < inserts; ++i) {
      IpPrefix p;
      p.family = family;
      p.addr = random_addr();
      p.cidr = static_cast<std::uint8_t>(rng() % (bits + 1));
      // Mask like the trie does, so prefixes_of output is comparable.
      for (unsigned b = p.cidr; b < 128; ++b)
        p.addr[b / 8] &= static_cast<std::uint8_t>(~(0x80 >> (b % 8)));
      PeerId peer = static_cast<PeerId>(rng() % 50);
      REQUIRE(t.insert(p, peer));
      naive.insert(p, peer);
      if (i % 100 == 99 || (seed != 0x5eed && i % 17 == 16)) {
        PeerId gone = static_cast<PeerId>(rng() % 50);
        t.remove_by_peer(gone);
        naive.remove_by_peer(gone);
      }
      if (i % 7 == 6 && !naive.entries.empty()) {
        // Remove one existing prefix (masked like the trie stores it).
        const std::size_t k = rng() % naive.entries.size();
        const auto victim = naive.entries[k];
        CHECK_FALSE(t.remove(victim.p, victim.peer + 1000));  // wrong peer: kept
        REQUIRE(t.remove(victim.p, victim.peer));
        naive.entries.erase(naive.entries.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
    CHECK(t.size() == naive.entries.size());
    for (int i = 0; i < 20000; ++i) {
      auto a = random_addr();
      if (i % 2 && !naive.entries.empty()) {
        // Near an inserted prefix: its bits, then random bits from a random depth on.
        const auto& e = naive.entries[rng() % naive.entries.size()];
        const unsigned keep = static_cast<unsigned>(rng() % (bits + 1));
        for (unsigned b = 0; b < keep; ++b) {
          const auto mask = static_cast<std::uint8_t>(0x80 >> (b % 8));
          a[b / 8] = static_cast<std::uint8_t>((a[b / 8] & ~mask) | (e.p.addr[b / 8] & mask));
        }
      }
      auto want = naive.lookup(family, a.data());
      auto got = t.lookup(family, std::span<const std::uint8_t>(a.data(), bits / 8));
      if (got != want) {
        FAIL("lookup mismatch at iteration " << i);
      }
    }
    for (PeerId peer = 0; peer < 50; ++peer) {
      std::size_t n = 0;
      for (const auto& e : naive.entries)
        n += e.peer == peer;
      CHECK(t.prefixes_of(peer).size() == n);
    }
  }
}

}  // namespace
}  // namespace ward::wg
