#include "common/net/prefix_set.hpp"

#include <vector>

#include <catch2/catch.hpp>

namespace {

using ward::net::Family;
using ward::net::IpAddress;
using ward::net::Prefix;
using ward::net::PrefixSet;

Prefix pfx(std::string_view s) {
  auto r = Prefix::parse(s);
  INFO(s);
  REQUIRE(r);
  return *r;
}

IpAddress ip(std::string_view s) {
  auto r = IpAddress::parse(s);
  INFO(s);
  REQUIRE(r);
  return *r;
}

PrefixSet set_of(std::initializer_list<std::string_view> ps) {
  PrefixSet s;
  for (auto p : ps)
    s.insert(pfx(p));
  return s;
}

struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

}  // namespace

TEST_CASE("PrefixSet merges adjacent and overlapping prefixes", "[unit]") {
  CHECK(set_of({"10.0.0.0/25", "10.0.0.128/25"}).to_string() == "10.0.0.0/24");
  CHECK(set_of({"10.0.0.0/24", "10.0.0.0/8"}).to_string() == "10.0.0.0/8");
  CHECK(set_of({"10.0.0.0/8", "10.0.0.0/24"}).to_string() == "10.0.0.0/8");
  CHECK(set_of({"10.0.0.1", "10.0.0.2"}).to_string() == "10.0.0.1/32, 10.0.0.2/32");
  CHECK(set_of({"10.0.0.1", "10.0.0.2", "10.0.0.0", "10.0.0.3"}).to_string() == "10.0.0.0/30");
  CHECK(set_of({"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}).to_string() ==
        "10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/32");
  CHECK(set_of({"0.0.0.0/1", "128.0.0.0/1"}).to_string() == "0.0.0.0/0");
  CHECK(set_of({"255.255.255.255", "255.255.255.254"}).to_string() == "255.255.255.254/31");
  CHECK(set_of({"::/1", "8000::/1"}).to_string() == "::/0");
  CHECK(set_of({"fd00::/8", "10.0.0.0/8"}).to_string() == "10.0.0.0/8, fd00::/8");
  CHECK(set_of({"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"}).to_string() ==
        "::/128, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
  CHECK(PrefixSet().empty());
  CHECK(PrefixSet().to_string().empty());
  std::vector<Prefix> v{pfx("10.0.0.0/9"), pfx("10.128.0.0/9")};
  CHECK(PrefixSet(v).to_prefixes() == std::vector<Prefix>{pfx("10.0.0.0/8")});
}

TEST_CASE("PrefixSet remove splits ranges", "[unit]") {
  auto s = set_of({"0.0.0.0/0"});
  s.remove(pfx("0.0.0.0/1"));
  CHECK(s.to_string() == "128.0.0.0/1");
  s.remove(pfx("255.255.255.255"));
  CHECK(s.to_prefixes().size() == 31);
  CHECK_FALSE(s.contains(ip("255.255.255.255")));
  CHECK(s.contains(ip("255.255.255.254")));

  auto t = set_of({"10.0.0.0/24"});
  t.remove(pfx("10.0.0.64/26"));
  CHECK(t.to_string() == "10.0.0.0/26, 10.0.0.128/25");
  t.remove(pfx("10.0.0.0/8"));
  CHECK(t.empty());

  auto u = set_of({"::/0", "1.2.3.4"});
  u.remove(pfx("::1"));
  CHECK(u.to_prefixes(Family::kV6).size() == 128);
  CHECK(u.to_prefixes(Family::kV4) == std::vector<Prefix>{pfx("1.2.3.4")});
  u.remove(pfx("0.0.0.0/0"));  // removing v4 leaves v6 alone
  CHECK(u.to_prefixes(Family::kV4).empty());
  CHECK(u.contains(ip("ffff::")));
  u.clear();
  CHECK(u.empty());
}

TEST_CASE("PrefixSet queries never cross families", "[unit]") {
  auto s = set_of({"0.0.0.0/0"});
  CHECK(s.contains(ip("1.2.3.4")));
  CHECK_FALSE(s.contains(ip("::ffff:1.2.3.4")));
  CHECK_FALSE(s.overlaps(pfx("::/0")));
  CHECK_FALSE(s.contains(pfx("::/128")));
  auto t = set_of({"10.0.0.0/24", "10.0.1.0/24"});
  CHECK(t.contains(pfx("10.0.0.0/23")));  // spans two inserted prefixes
  CHECK(t.contains(pfx("10.0.0.128/25")));
  CHECK_FALSE(t.contains(pfx("10.0.0.0/22")));
  CHECK(t.overlaps(pfx("10.0.0.0/22")));
  CHECK(t.overlaps(pfx("10.0.1.255")));
  CHECK_FALSE(t.overlaps(pfx("10.0.2.0/23")));
}

// Differential test against a naive list of operations over a small universe: the last
// insert/remove covering an address decides membership. Covers v4 near 10.1.0.0/20 and
// v6 near fd00::/116 (4096 addresses each, so the naive side can enumerate).
TEST_CASE("PrefixSet matches a naive evaluator on random operations", "[unit]") {
  Rng rng{0x1234567887654321ull};
  for (int round = 0; round < 200; ++round) {
    const Family family = round % 2 == 0 ? Family::kV4 : Family::kV6;
    const IpAddress base = family == Family::kV4 ? ip("10.1.0.0") : ip("fd00::");
    const int width = family == Family::kV4 ? 32 : 128;
    const int universe_bits = 12;
    auto address_at = [&](int offset) {
      auto b = base.bytes();
      std::vector<std::uint8_t> v(b.begin(), b.end());
      v[v.size() - 1] = static_cast<std::uint8_t>(offset & 0xff);
      v[v.size() - 2] = static_cast<std::uint8_t>(v[v.size() - 2] | (offset >> 8));
      return IpAddress::from_bytes(v);
    };
    struct Op {
      Prefix p;
      bool add;
    };
    std::vector<Op> ops;
    PrefixSet set;
    const int n_ops = 1 + rng.below(40);
    for (int i = 0; i < n_ops; ++i) {
      const int host_bits = rng.below(universe_bits + 1);
      const int offset = rng.below(1 << universe_bits);
      auto p = Prefix::make(address_at(offset), width - host_bits);
      REQUIRE(p);
      const bool add = rng.below(3) != 0;
      ops.push_back({*p, add});
      if (add) {
        set.insert(*p);
      } else {
        set.remove(*p);
      }
    }
    std::vector<IpAddress> addrs;
    for (int a = 0; a < (1 << universe_bits); ++a)
      addrs.push_back(address_at(a));
    std::vector<bool> naive(1 << universe_bits);
    std::string mismatch;  // first address where the two disagree (one REQUIRE per round)
    for (int a = 0; a < (1 << universe_bits); ++a) {
      const IpAddress& x = addrs[a];
      bool in = false;
      for (const auto& op : ops) {
        if (op.p.contains(x)) in = op.add;
      }
      naive[a] = in;
      if (set.contains(x) != in && mismatch.empty()) mismatch = x.to_string();
    }
    REQUIRE(mismatch == "");
    // Queries by prefix agree with the naive bitmap.
    for (int q = 0; q < 50; ++q) {
      const int host_bits = rng.below(universe_bits + 1);
      const int offset = rng.below(1 << universe_bits) & ~((1 << host_bits) - 1);
      auto p = *Prefix::make(address_at(offset), width - host_bits);
      bool all = true;
      bool any = false;
      for (int a = offset; a < offset + (1 << host_bits); ++a) {
        all = all && naive[a];
        any = any || naive[a];
      }
      INFO(p.to_string());
      REQUIRE(set.contains(p) == all);
      REQUIRE(set.overlaps(p) == any);
    }
    // The cover: sorted, disjoint, covers exactly, and minimal (no two siblings).
    const auto cover = set.to_prefixes();
    std::vector<bool> covered(1 << universe_bits);
    int double_covered = 0;
    for (std::size_t i = 0; i < cover.size(); ++i) {
      REQUIRE(cover[i].family() == family);
      if (i > 0) {
        REQUIRE(cover[i - 1] < cover[i]);
        REQUIRE_FALSE(cover[i - 1].overlaps(cover[i]));
        if (cover[i - 1].bits() == cover[i].bits() && cover[i].bits() > 0) {
          auto parent = *Prefix::make(cover[i].address(), cover[i].bits() - 1);
          REQUIRE_FALSE(parent.contains(cover[i - 1]));  // siblings would merge
        }
      }
      REQUIRE(cover[i].bits() >= width - universe_bits);
      auto b = cover[i].address().bytes();
      const int first = ((b[b.size() - 2] & 0x0f) << 8) | b[b.size() - 1];
      REQUIRE(cover[i].address() == addrs[first]);
      for (int a = first; a < first + (1 << (width - cover[i].bits())); ++a) {
        if (covered[a]) ++double_covered;
        covered[a] = true;
      }
    }
    REQUIRE(double_covered == 0);
    REQUIRE(covered == naive);
    // Rebuilding from the cover yields an equal set.
    REQUIRE(PrefixSet(cover) == set);
  }
}
