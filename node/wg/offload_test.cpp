#include "node/wg/offload.hpp"

#include <cstring>

#include <catch2/catch.hpp>

#include "node/wg/test_util.hpp"

namespace ward::wg {
namespace {

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}

// A TCP/IPv4 (or IPv6) packet 100.64.0.1:1000 -> 100.64.0.2:2000 with a 12-byte option
// block (like timestamps), valid checksums.
std::vector<std::uint8_t> tcp_packet(int family, std::uint32_t seq, std::size_t payload,
                                     std::uint8_t flags, std::uint8_t fill = 0,
                                     std::uint16_t dport = 2000) {
  const std::size_t ip_len = family == 4 ? 20 : 40;
  const std::size_t tcp_len = 32;
  std::vector<std::uint8_t> p(ip_len + tcp_len + payload, 0);
  if (family == 4) {
    p[0] = 0x45;
    p[2] = static_cast<std::uint8_t>(p.size() >> 8);
    p[3] = static_cast<std::uint8_t>(p.size());
    p[4] = 0x12, p[5] = 0x34;
    p[6] = 0x40;  // DF
    p[8] = 64;
    p[9] = 6;
    const std::uint8_t addrs[8] = {100, 64, 0, 1, 100, 64, 0, 2};
    std::memcpy(&p[12], addrs, 8);
  } else {
    p[0] = 0x60;
    p[4] = static_cast<std::uint8_t>((p.size() - 40) >> 8);
    p[5] = static_cast<std::uint8_t>(p.size() - 40);
    p[6] = 6;
    p[7] = 64;
    p[8] = 0xfd, p[23] = 1;
    p[24] = 0xfd, p[39] = 2;
  }
  std::uint8_t* t = &p[ip_len];
  t[0] = 1000 >> 8, t[1] = 1000 & 0xff;
  t[2] = static_cast<std::uint8_t>(dport >> 8), t[3] = static_cast<std::uint8_t>(dport);
  for (int i = 0; i < 4; ++i)
    t[4 + i] = static_cast<std::uint8_t>(seq >> (24 - 8 * i));
  t[8] = 0xaa, t[11] = 0x01;  // ack
  t[12] = (tcp_len / 4) << 4;
  t[13] = flags;
  t[14] = 0xff, t[15] = 0xff;  // window
  t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10, t[24] = 0, t[25] = 0, t[26] = 0, t[27] = 7;
  for (std::size_t i = 0; i < payload; ++i)
    p[ip_len + tcp_len + i] = static_cast<std::uint8_t>(fill + i);
  // checksums
  if (family == 4) {
    const auto c = static_cast<std::uint16_t>(~checksum_fold(checksum_add(Bytes(p.data(), 20))));
    p[10] = static_cast<std::uint8_t>(c >> 8), p[11] = static_cast<std::uint8_t>(c);
  }
  std::uint32_t sum = family == 4 ? checksum_add(Bytes(&p[12], 8)) : checksum_add(Bytes(&p[8], 32));
  sum += 6 + static_cast<std::uint32_t>(tcp_len + payload);
  const auto c =
      static_cast<std::uint16_t>(~checksum_fold(checksum_add(Bytes(t, tcp_len + payload), sum)));
  t[16] = static_cast<std::uint8_t>(c >> 8), t[17] = static_cast<std::uint8_t>(c);
  return p;
}

bool checksums_valid(Bytes p) {
  const int family = p[0] >> 4;
  const std::size_t ip_len = family == 4 ? 20 : 40;
  if (family == 4 && checksum_fold(checksum_add(p.first(20))) != 0xffff) return false;
  std::uint32_t sum = family == 4 ? checksum_add(p.subspan(12, 8)) : checksum_add(p.subspan(8, 32));
  sum += 6 + static_cast<std::uint32_t>(p.size() - ip_len);
  return checksum_fold(checksum_add(p.subspan(ip_len), sum)) == 0xffff;
}

TEST_CASE("internet checksum matches a textbook IPv4 header", "[unit]") {
  auto h = test::unhex("450000730000400040110000c0a80001c0a800c7");
  CHECK(static_cast<std::uint16_t>(~checksum_fold(checksum_add(h))) == 0xb861);
  // Odd lengths pad with a zero byte.
  CHECK(checksum_add(test::unhex("01")) == 0x0100);
  CHECK(tcp_packet(4, 1, 3, 0x18).size() == 55);
  CHECK(checksums_valid(tcp_packet(4, 1, 3, 0x18)));
  CHECK(checksums_valid(tcp_packet(6, 1, 3, 0x18)));
}

TEST_CASE("fast checksum agrees with the RFC 1071 word loop on random data", "[unit]") {
  std::uint64_t x = 88172645463325252ULL;
  for (std::size_t len = 0; len < 300; ++len) {
    std::vector<std::uint8_t> d(len);
    for (auto& b : d) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      b = static_cast<std::uint8_t>(x);
    }
    std::uint64_t ref = static_cast<std::uint32_t>(x);  // a random starting sum
    const std::uint32_t start = static_cast<std::uint32_t>(ref);
    for (std::size_t i = 0; i + 1 < len; i += 2)
      ref += static_cast<std::uint32_t>(d[i] << 8 | d[i + 1]);
    if (len % 2) ref += static_cast<std::uint32_t>(d[len - 1]) << 8;
    while (ref >> 16)
      ref = (ref & 0xffff) + (ref >> 16);
    INFO("length " << len);
    CHECK(checksum_fold(checksum_add(d, start)) == ref);
  }
}

TEST_CASE("gso_split cuts a TSO super-packet into valid segments", "[unit]") {
  for (int family : {4, 6}) {
    auto super = tcp_packet(family, 1000, 3500, 0x18 | 0x01);  // PSH|FIN on the whole
    const VnetHdr h = VnetHdr::tcp_gso(family, family == 4 ? 20 : 40, 0, 1000);
    std::vector<std::uint8_t> scratch;
    std::vector<std::vector<std::uint8_t>> segs;
    REQUIRE(gso_split(super, h, scratch, [&](Bytes s) { segs.emplace_back(s.begin(), s.end()); }));
    REQUIRE(segs.size() == 4);
    const std::size_t ip_len = family == 4 ? 20 : 40;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      const auto& s = segs[i];
      INFO("family " << family << " segment " << i);
      CHECK(s.size() == ip_len + 32 + (i < 3 ? 1000 : 500));
      CHECK(checksums_valid(s));
      CHECK(be32(&s[ip_len + 4]) == 1000 + 1000 * i);
      const std::uint8_t flags = s[ip_len + 13];
      CHECK((flags & 0x09) == (i == 3 ? 0x09 : 0));  // PSH and FIN only on the last
      if (family == 4) CHECK(be16(&s[4]) == 0x1234 + i);
      // Payload bytes are the right slice.
      CHECK(s[ip_len + 32] == static_cast<std::uint8_t>(1000 * i));
    }
  }
}

TEST_CASE("gso_split completes a partial checksum and rejects malformed packets", "[unit]") {
  auto p = tcp_packet(4, 5, 100, 0x18);
  // Replace the checksum by the pseudo-header sum, as the kernel hands it over.
  std::uint32_t pseudo = checksum_add(Bytes(&p[12], 8)) + 6 + 132;
  const std::uint16_t partial = checksum_fold(pseudo);
  p[36] = static_cast<std::uint8_t>(partial >> 8), p[37] = static_cast<std::uint8_t>(partial);
  CHECK_FALSE(checksums_valid(p));
  VnetHdr h;
  h.flags = VnetHdr::kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  std::vector<std::uint8_t> scratch;
  int n = 0;
  REQUIRE(gso_split(p, h, scratch, [&](Bytes s) {
    ++n;
    CHECK(checksums_valid(s));
  }));
  CHECK(n == 1);
  VnetHdr bad = h;
  bad.csum_offset = 2000;
  CHECK_FALSE(gso_split(p, bad, scratch, [](Bytes) { FAIL("emitted"); }));
  VnetHdr udp;
  udp.gso_type = 3;
  udp.gso_size = 100;
  CHECK_FALSE(gso_split(p, udp, scratch, [](Bytes) { FAIL("emitted"); }));
  VnetHdr wrong_family;
  wrong_family.gso_type = VnetHdr::kGsoTcpV6;
  wrong_family.gso_size = 10;
  wrong_family.csum_start = 20;
  CHECK_FALSE(gso_split(p, wrong_family, scratch, [](Bytes) { FAIL("emitted"); }));
}

TEST_CASE("coalescer merges a flow's segments and the kernel's split restores them", "[unit]") {
  for (int family : {4, 6}) {
    TcpCoalescer c;
    c.clear();
    std::vector<std::vector<std::uint8_t>> segs;
    for (int i = 0; i < 5; ++i) {
      segs.push_back(tcp_packet(family, 100 + 1200 * i, i == 4 ? 700 : 1200, i == 4 ? 0x18 : 0x10,
                                static_cast<std::uint8_t>(i)));
    }
    for (auto& s : segs)
      c.add(s);
    c.finish_batch();
    REQUIRE(c.size() == 1);
    const auto out = c.packet(0);
    VnetHdr h = VnetHdr::parse(Bytes(out).first<kVnetHdrLen>());
    CHECK(h.gso_type == (family == 4 ? VnetHdr::kGsoTcpV4 : VnetHdr::kGsoTcpV6));
    CHECK(h.gso_size == 1200);
    CHECK(h.flags == VnetHdr::kNeedsCsum);
    std::vector<std::uint8_t> super(out.begin() + kVnetHdrLen, out.end());
    std::vector<std::uint8_t> scratch;
    std::vector<std::vector<std::uint8_t>> back;
    REQUIRE(gso_split(super, h, scratch, [&](Bytes s) { back.emplace_back(s.begin(), s.end()); }));
    REQUIRE(back.size() == segs.size());
    for (std::size_t i = 0; i < segs.size(); ++i) {
      INFO("segment " << i);
      // Identical except the IPv4 id, which the split numbers consecutively from the first.
      if (family == 4) {
        back[i][4] = segs[i][4], back[i][5] = segs[i][5];
        back[i][10] = segs[i][10], back[i][11] = segs[i][11];
      }
      CHECK(back[i] == segs[i]);
    }
  }
}

TEST_CASE("coalescer keeps flows apart, order within a flow, and passes others through", "[unit]") {
  TcpCoalescer c;
  c.clear();
  auto a0 = tcp_packet(4, 0, 1000, 0x10, 0, 2000);
  auto b0 = tcp_packet(4, 0, 1000, 0x10, 0, 3000);
  auto a1 = tcp_packet(4, 1000, 1000, 0x10, 0, 2000);
  auto b1 = tcp_packet(4, 1000, 1000, 0x10, 0, 3000);
  auto gap = tcp_packet(4, 5000, 1000, 0x10, 0, 2000);  // not contiguous
  auto fin = tcp_packet(4, 6000, 0, 0x11, 0, 3000);     // FIN: never merged
  auto b2 = tcp_packet(4, 2000, 1000, 0x10, 0, 3000);   // after the FIN: must not jump it
  std::vector<std::uint8_t> udp(28, 0);
  udp[0] = 0x45, udp[3] = 28, udp[9] = 17;
  for (auto* p : {&a0, &b0, &a1, &b1, &gap, &fin, &b2, &udp})
    c.add(*p);
  c.finish_batch();
  REQUIRE(c.size() == 6);
  auto len = [&](std::size_t i) { return c.packet(i).size() - kVnetHdrLen; };
  CHECK(len(0) == 52 + 2000);  // a0+a1
  CHECK(len(1) == 52 + 2000);  // b0+b1
  CHECK(len(2) == 1052);       // gap alone
  CHECK(len(3) == 52);         // fin
  CHECK(len(4) == 1052);       // b2 alone
  CHECK(len(5) == 28);         // udp untouched
  VnetHdr single = VnetHdr::parse(Bytes(c.packet(2)).first<kVnetHdrLen>());
  CHECK(single.gso_type == VnetHdr::kGsoNone);
  CHECK(single.flags == 0);
  CHECK(std::equal(gap.begin(), gap.end(), c.packet(2).begin() + kVnetHdrLen));
}

TEST_CASE("coalescer stops at 64 KiB and after a short segment", "[unit]") {
  TcpCoalescer c;
  c.clear();
  std::vector<std::vector<std::uint8_t>> keep;  // the coalescer refers to added packets
  std::uint32_t seq = 0;
  for (int i = 0; i < 60; ++i) {
    keep.push_back(tcp_packet(4, seq, 1400, 0x10));
    c.add(keep.back());
    seq += 1400;
  }
  c.finish_batch();
  REQUIRE(c.size() == 2);
  CHECK(c.packet(0).size() - kVnetHdrLen <= 65535);
  CHECK(c.packet(0).size() - kVnetHdrLen == 52 + 46 * 1400);  // 46 fit under 64 KiB
  CHECK(c.pieces(0).size() == 47);
  c.clear();
  keep.clear();
  for (auto [s, n] : {std::pair<std::uint32_t, std::size_t>{0, 1400}, {1400, 100}, {1500, 1400}}) {
    keep.push_back(tcp_packet(4, s, n, 0x10));
    c.add(keep.back());
  }
  c.finish_batch();
  CHECK(c.size() == 2);
}

TEST_CASE("fast checksum agrees with the word loop on 64 KiB buffers", "[unit]") {
  // The accumulators see their largest values with all-0xff data.
  auto reference = [](const std::vector<std::uint8_t>& d) {
    std::uint64_t ref = 0;
    for (std::size_t i = 0; i + 1 < d.size(); i += 2)
      ref += static_cast<std::uint32_t>(d[i] << 8 | d[i + 1]);
    if (d.size() % 2) ref += static_cast<std::uint32_t>(d.back()) << 8;
    while (ref >> 16)
      ref = (ref & 0xffff) + (ref >> 16);
    return static_cast<std::uint16_t>(ref);
  };
  std::vector<std::uint8_t> ff(65534, 0xff);
  CHECK(checksum_fold(checksum_add(ff)) == 0xffff);
  ff.push_back(0xff);  // odd: the last byte is padded to 0xff00
  CHECK(checksum_fold(checksum_add(ff)) == reference(ff));
  CHECK(reference(ff) == 0xff00);
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  std::vector<std::uint8_t> d(65535);
  for (auto& b : d) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  CHECK(checksum_fold(checksum_add(d)) == reference(d));
}

TEST_CASE("gso_split cuts at exact segment boundaries, in place", "[unit]") {
  for (int family : {4, 6}) {
    for (std::size_t payload : {std::size_t{3000}, std::size_t{999}, std::size_t{1000},
                                std::size_t{1001}, std::size_t{1}}) {
      INFO("family " << family << " payload " << payload);
      auto super = tcp_packet(family, 0xfffffc00u, payload, 0x18, 0x40);  // seq wraps
      const std::size_t ip_len = family == 4 ? 20 : 40;
      const std::size_t hdr = ip_len + 32;
      const std::vector<std::uint8_t> original = super;
      const VnetHdr h = VnetHdr::tcp_gso(family, ip_len, hdr, 1000);
      std::vector<std::uint8_t> scratch;
      std::vector<std::vector<std::uint8_t>> segs;
      REQUIRE(gso_split(super, h, scratch, [&](Bytes s) {
        // Each segment lies inside the packet, its payload where it was.
        CHECK(s.data() >= super.data());
        CHECK(s.data() + s.size() <= super.data() + super.size());
        segs.emplace_back(s.begin(), s.end());
      }));
      const std::size_t expect = (payload + 999) / 1000;
      REQUIRE(segs.size() == expect);
      std::vector<std::uint8_t> joined;
      for (std::size_t i = 0; i < segs.size(); ++i) {
        const auto& s = segs[i];
        const std::size_t want = i + 1 < expect ? 1000 : payload - 1000 * (expect - 1);
        CHECK(s.size() == hdr + want);
        CHECK(checksums_valid(s));
        CHECK(be32(&s[ip_len + 4]) == static_cast<std::uint32_t>(0xfffffc00u + 1000 * i));
        CHECK((s[ip_len + 13] & 0x08) == (i + 1 == expect ? 0x08 : 0));  // PSH on the last
        // Headers identical to the original apart from length, id, seq and checksums.
        CHECK(std::equal(s.begin() + ip_len + 20, s.begin() + hdr, original.begin() + ip_len + 20));
        if (family == 4)
          CHECK(be16(&s[2]) == hdr + want);
        else
          CHECK(be16(&s[4]) == 32 + want);
        joined.insert(joined.end(), s.begin() + static_cast<std::ptrdiff_t>(hdr), s.end());
      }
      CHECK(std::equal(joined.begin(), joined.end(),
                       original.begin() + static_cast<std::ptrdiff_t>(hdr), original.end()));
      CHECK(joined.size() == payload);
    }
  }
}

TEST_CASE("gso_split rejects malformed virtio headers", "[unit]") {
  auto p = tcp_packet(4, 1, 3000, 0x10);
  const VnetHdr good = VnetHdr::tcp_gso(4, 20, 0, 1000);
  std::vector<std::uint8_t> scratch;
  auto rejects = [&](const VnetHdr& h, std::vector<std::uint8_t> pkt) {
    return !gso_split(pkt, h, scratch, [](Bytes) { FAIL("emitted"); });
  };
  VnetHdr h = good;
  h.gso_size = 0;
  CHECK(rejects(h, p));  // zero segment size
  h = good;
  h.csum_start = 24;
  CHECK(rejects(h, p));  // checksum start not at the TCP header
  h = good;
  h.gso_type = 5;
  CHECK(rejects(h, p));  // UDP_L4 or unknown types
  h = good;
  h.gso_type = VnetHdr::kGsoTcpV6;
  CHECK(rejects(h, p));  // type says IPv6, packet is IPv4
  auto udp = p;
  udp[9] = 17;
  CHECK(rejects(good, udp));  // TCP segmentation of a non-TCP packet
  auto big_offset = p;
  big_offset[20 + 12] = 0xf0;  // data offset 60 bytes: still inside, accepted
  int emitted = 0;
  CHECK(gso_split(big_offset, good, scratch, [&](Bytes) { ++emitted; }));
  CHECK(emitted == 3);
  auto short_pkt = tcp_packet(4, 1, 0, 0x10);
  short_pkt[20 + 12] = 0xf0;  // data offset 60 bytes beyond a 52-byte packet
  CHECK(rejects(good, short_pkt));
  auto tiny_offset = p;
  tiny_offset[20 + 12] = 0x40;  // data offset 16 bytes: below the minimum
  CHECK(rejects(good, tiny_offset));
  auto ihl = p;
  ihl[0] = 0x44;  // IPv4 header length 16
  CHECK(rejects(good, ihl));
  CHECK(rejects(good, std::vector<std::uint8_t>(p.begin(), p.begin() + 39)));  // truncated
  h = good;
  h.gso_type = VnetHdr::kGsoNone;
  h.csum_start = 60000;
  CHECK(rejects(h, p));  // partial checksum field outside the packet
  h.csum_start = 20;
  h.csum_offset = static_cast<std::uint16_t>(p.size() - 20 - 1);
  CHECK(rejects(h, p));  // field straddles the end
}

TEST_CASE("coalescer refers to the added packets and leaves them untouched", "[unit]") {
  TcpCoalescer c;
  c.clear();
  std::vector<std::vector<std::uint8_t>> segs;
  for (int i = 0; i < 3; ++i)
    segs.push_back(tcp_packet(4, 1000u * static_cast<std::uint32_t>(i), 1000, 0x10));
  const auto before = segs;
  for (const auto& s : segs)
    c.add(s);
  c.finish_batch();
  REQUIRE(c.size() == 1);
  const auto pieces = c.pieces(0);
  REQUIRE(pieces.size() == 4);
  CHECK(pieces[0].size() == kVnetHdrLen + 52);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(pieces[1 + i].data() == segs[i].data() + 52);  // a view, not a copy
    CHECK(pieces[1 + i].size() == 1000);
  }
  CHECK(segs == before);  // the merged IP header was rewritten in the coalescer's copy
  const auto merged = c.packet(0);
  CHECK(merged.size() == kVnetHdrLen + 52 + 3000);
  CHECK(be16(&merged[kVnetHdrLen + 2]) == 52 + 3000);
  CHECK(checksum_fold(checksum_add(Bytes(&merged[kVnetHdrLen], 20))) == 0xffff);
}

TEST_CASE("coalescer merges at most kMaxSegments segments", "[unit]") {
  TcpCoalescer c;
  c.clear();
  std::vector<std::vector<std::uint8_t>> keep;
  for (std::uint32_t i = 0; i < 100; ++i) {
    keep.push_back(tcp_packet(6, 100 * i, 100, 0x10));
    c.add(keep.back());
  }
  c.finish_batch();
  REQUIRE(c.size() == 2);
  CHECK(c.pieces(0).size() == TcpCoalescer::kMaxSegments + 1);
  CHECK(c.packet(0).size() == kVnetHdrLen + 72 + 100 * TcpCoalescer::kMaxSegments);
  CHECK(c.packet(1).size() == kVnetHdrLen + 72 + 100 * (100 - TcpCoalescer::kMaxSegments));
  // And the kernel's split of the first restores the first 64 segments exactly.
  const auto merged = c.packet(0);
  const VnetHdr h = VnetHdr::parse(Bytes(merged).first<kVnetHdrLen>());
  CHECK(h.gso_size == 100);
  std::vector<std::uint8_t> super(merged.begin() + kVnetHdrLen, merged.end());
  std::vector<std::uint8_t> scratch;
  std::size_t n = 0;
  REQUIRE(gso_split(super, h, scratch, [&](Bytes s) {
    REQUIRE(n < keep.size());
    CHECK(std::equal(s.begin(), s.end(), keep[n].begin(), keep[n].end()));
    ++n;
  }));
  CHECK(n == TcpCoalescer::kMaxSegments);
}

}  // namespace
}  // namespace ward::wg
