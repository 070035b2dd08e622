#include "common/net/allocator.hpp"

#include <chrono>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

namespace {

using ward::ErrorCode;
using ward::net::AddressAllocator;
using ward::net::IpAddress;
using ward::net::Prefix;

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

std::string next(AddressAllocator& a) {
  auto r = a.allocate();
  REQUIRE(r);
  return r->to_string();
}

std::string exhausted(AddressAllocator& a) {
  auto r = a.allocate();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kUnavailable);
  return r.error().message();
}

}  // namespace

TEST_CASE("Allocator hands out the lowest usable addresses in order", "[unit]") {
  AddressAllocator a(pfx("100.64.0.0/10"), {});
  CHECK(a.gateway() == ip("100.64.0.1"));
  CHECK(next(a) == "100.64.0.2");
  CHECK(next(a) == "100.64.0.3");
  CHECK(next(a) == "100.64.0.4");
  CHECK_FALSE(a.is_free(ip("100.64.0.4")));
  CHECK(a.is_free(ip("100.64.0.5")));
  CHECK_FALSE(a.is_free(ip("100.64.0.1")));
  CHECK_FALSE(a.is_free(ip("100.128.0.5")));
  // Crossing octet boundaries.
  std::vector<IpAddress> used;
  for (int i = 2; i <= 255; ++i)
    used.push_back(IpAddress::v4(0x64400000u + i));
  AddressAllocator b(pfx("100.64.0.0/10"), used);
  CHECK(next(b) == "100.64.1.0");  // .0 and .255 inside a /10 are ordinary addresses
  CHECK(next(b) == "100.64.1.1");
}

TEST_CASE("Allocator v4 edge prefixes", "[unit]") {
  AddressAllocator a32(pfx("100.64.0.7/32"), {});
  CHECK(exhausted(a32) == "overlay prefix 100.64.0.7/32 is exhausted: no usable address is free");
  CHECK(a32.gateway() == ip("100.64.0.7"));
  AddressAllocator a31(pfx("100.64.0.0/31"), {});
  CHECK(exhausted(a31) == "overlay prefix 100.64.0.0/31 is exhausted: no usable address is free");
  AddressAllocator a30(pfx("100.64.0.0/30"), {});
  CHECK(next(a30) == "100.64.0.2");
  CHECK(exhausted(a30) == "overlay prefix 100.64.0.0/30 is exhausted: no usable address is free");
  CHECK(exhausted(a30) == "overlay prefix 100.64.0.0/30 is exhausted: no usable address is free");
  AddressAllocator a29(pfx("10.0.0.8/29"), {});
  std::vector<std::string> got;
  while (auto r = a29.allocate())
    got.push_back(r->to_string());
  CHECK(got ==
        std::vector<std::string>{"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14"});
  // The top of the v4 space: the broadcast 255.255.255.255 is never handed out.
  AddressAllocator top(pfx("255.255.255.252/30"), {});
  CHECK(next(top) == "255.255.255.254");
  CHECK_FALSE(top.allocate());
}

TEST_CASE("Allocator v6 edge prefixes", "[unit]") {
  AddressAllocator a128(pfx("fd00::5/128"), {});
  CHECK(exhausted(a128) == "overlay prefix fd00::5/128 is exhausted: no usable address is free");
  AddressAllocator a127(pfx("fd00::/127"), {});
  CHECK(exhausted(a127) == "overlay prefix fd00::/127 is exhausted: no usable address is free");
  AddressAllocator a126(pfx("fd00::/126"), {});
  CHECK(next(a126) == "fd00::2");
  CHECK(next(a126) == "fd00::3");  // v6 has no broadcast: the last address is usable
  CHECK(exhausted(a126) == "overlay prefix fd00::/126 is exhausted: no usable address is free");

  AddressAllocator big(pfx("fd7a:115c:a1e0::/48"), {});
  CHECK(big.gateway() == ip("fd7a:115c:a1e0::1"));
  CHECK(next(big) == "fd7a:115c:a1e0::2");
  CHECK(next(big) == "fd7a:115c:a1e0::3");
  REQUIRE(big.reserve(ip("fd7a:115c:a1e0:ffff:ffff:ffff:ffff:ffff")));
  CHECK(next(big) == "fd7a:115c:a1e0::4");

  // The whole v6 space works without overflow at the top.
  AddressAllocator whole(pfx("::/0"), {});
  CHECK(next(whole) == "::2");
  REQUIRE(whole.reserve(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  CHECK_FALSE(whole.is_free(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  CHECK(next(whole) == "::3");
}

TEST_CASE("Allocator never reuses addresses it was told about", "[unit]") {
  // The store lists every address ever handed out, deleted devices included, unsorted
  // and with duplicates and foreign addresses.
  std::vector<IpAddress> ever{ip("100.64.0.3"), ip("100.64.0.2"), ip("100.64.0.5"),
                              ip("100.64.0.3"), ip("10.0.0.2"),   ip("fd00::2"),
                              ip("100.64.0.1"), ip("100.64.0.0")};
  AddressAllocator a(pfx("100.64.0.0/10"), ever);
  CHECK(next(a) == "100.64.0.4");
  CHECK(next(a) == "100.64.0.6");
  CHECK(next(a) == "100.64.0.7");
  // A fresh allocator given everything handed out so far continues, never repeats.
  std::set<IpAddress> seen(ever.begin(), ever.end());
  std::vector<IpAddress> history(ever);
  for (int round = 0; round < 5; ++round) {
    AddressAllocator b(pfx("100.64.0.0/24"), history);
    for (int i = 0; i < 10; ++i) {
      auto r = b.allocate();
      REQUIRE(r);
      REQUIRE(seen.insert(*r).second);
      history.push_back(*r);
    }
  }
  AddressAllocator c(pfx("100.64.0.0/24"), history);
  auto r = c.allocate();
  REQUIRE(r);
  CHECK(r->to_string() == "100.64.0.55");
}

TEST_CASE("Allocator reserve", "[unit]") {
  AddressAllocator a(pfx("100.64.0.0/29"), {});
  REQUIRE(a.reserve(ip("100.64.0.2")));
  REQUIRE(a.reserve(ip("100.64.0.4")));
  CHECK(next(a) == "100.64.0.3");
  CHECK(next(a) == "100.64.0.5");

  auto dup = a.reserve(ip("100.64.0.4"));
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code() == ErrorCode::kAlreadyExists);
  CHECK(dup.error().message() == "cannot reserve 100.64.0.4: it is already allocated");
  auto dup2 = a.reserve(ip("100.64.0.5"));  // allocated, below the cursor
  REQUIRE_FALSE(dup2);
  CHECK(dup2.error().code() == ErrorCode::kAlreadyExists);

  auto out = a.reserve(ip("100.64.0.8"));
  REQUIRE_FALSE(out);
  CHECK(out.error().code() == ErrorCode::kInvalidArgument);
  CHECK(out.error().message() ==
        "cannot reserve 100.64.0.8: it is outside the overlay prefix 100.64.0.0/29");
  auto fam = a.reserve(ip("::ffff:100.64.0.6"));
  REQUIRE_FALSE(fam);
  CHECK(fam.error().message() ==
        "cannot reserve ::ffff:100.64.0.6: it is outside the overlay prefix 100.64.0.0/29");
  CHECK(a.reserve(ip("100.64.0.0")).error().message() ==
        "cannot reserve 100.64.0.0: it is the network address of 100.64.0.0/29");
  CHECK(a.reserve(ip("100.64.0.1")).error().message() ==
        "cannot reserve 100.64.0.1: it is reserved for the controller/gateway of 100.64.0.0/29");
  CHECK(a.reserve(ip("100.64.0.7")).error().message() ==
        "cannot reserve 100.64.0.7: it is the broadcast address of 100.64.0.0/29");

  REQUIRE(a.reserve(ip("100.64.0.6")));
  CHECK(exhausted(a) == "overlay prefix 100.64.0.0/29 is exhausted: no usable address is free");
  CHECK(a.reserve(ip("100.64.0.6")).error().code() == ErrorCode::kAlreadyExists);
}

TEST_CASE("Allocator is fast for 100k allocations and large histories", "[unit]") {
  const auto start = std::chrono::steady_clock::now();
  AddressAllocator a(pfx("100.64.0.0/10"), {});
  IpAddress last;
  for (int i = 0; i < 100000; ++i) {
    auto r = a.allocate();
    REQUIRE(r);
    last = *r;
  }
  CHECK(last == IpAddress::v4(0x64400000u + 100001));

  // History of 100k addresses with holes, in scrambled order: holes are filled lowest first.
  std::vector<IpAddress> history;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const std::uint32_t off = 2 + ((i * 7919u) % 100000u);
    if (off % 1000 != 0) history.push_back(IpAddress::v4(0x64400000u + off));
  }
  AddressAllocator b(pfx("100.64.0.0/10"), history);
  CHECK(next(b) == "100.64.3.232");  // offset 1000
  for (int i = 0; i < 100000; ++i)
    REQUIRE(b.allocate());

  AddressAllocator c(pfx("fd00::/48"), {});
  for (int i = 0; i < 100000; ++i)
    REQUIRE(c.allocate());
  CHECK(next(c) == "fd00::1:86a2");  // 2 + 100000 = 0x186a2

  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Generous even for a sanitizer build; an O(n) scan per allocation takes minutes.
  CHECK(elapsed < std::chrono::seconds(20));
}
