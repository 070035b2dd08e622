#include "node/wg/offload.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ward::wg {
namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kTcpFin = 0x01;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpCwr = 0x80;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// Sum of the TCP pseudo-header for a TCP segment of tcp_len bytes.
std::uint32_t pseudo_sum(const std::uint8_t* ip, int family, std::size_t tcp_len) {
  std::uint32_t sum = 0;
  if (family == 4) {
    sum = checksum_add(Bytes(ip + 12, 8));
  } else {
    sum = checksum_add(Bytes(ip + 8, 32));
  }
  sum += kProtoTcp;
  sum += static_cast<std::uint32_t>(tcp_len >> 16) + static_cast<std::uint32_t>(tcp_len & 0xffff);
  return sum;
}

void ipv4_header_checksum(std::uint8_t* ip, std::size_t ip_len) {
  put16(ip + 10, 0);
  put16(ip + 10, static_cast<std::uint16_t>(~checksum_fold(checksum_add(Bytes(ip, ip_len)))));
}

struct TcpInfo {
  int family = 0;
  std::size_t ip_len = 0;
  std::size_t tcp_len = 0;
  std::size_t total = 0;
};

// A plain TCP packet we know how to coalesce: IPv4 without options or fragments, or IPv6
// without extension headers; lengths consistent with the buffer.
bool parse_tcp(Bytes p, TcpInfo& t) {
  if (p.size() < 40) return false;
  const int version = p[0] >> 4;
  if (version == 4) {
    if ((p[0] & 0x0f) != 5 || p[9] != kProtoTcp) return false;
    if ((be16(&p[6]) & 0x3fff) != 0) return false;  // MF or a fragment offset
    t = {4, 20, 0, be16(&p[2])};
  } else if (version == 6) {
    if (p.size() < 60 || p[6] != kProtoTcp) return false;
    t = {6, 40, 0, 40u + be16(&p[4])};
  } else {
    return false;
  }
  if (t.total != p.size()) return false;
  t.tcp_len = static_cast<std::size_t>(p[t.ip_len + 12] >> 4) * 4;
  return t.tcp_len >= 20 && t.ip_len + t.tcp_len <= p.size();
}

}  // namespace

VnetHdr VnetHdr::parse(std::span<const std::uint8_t, kVnetHdrLen> b) {
  // virtio_net_hdr fields are in the host's byte order for a legacy TUN device.
  VnetHdr h;
  h.flags = b[0];
  h.gso_type = b[1];
  std::memcpy(&h.hdr_len, &b[2], 2);
  std::memcpy(&h.gso_size, &b[4], 2);
  std::memcpy(&h.csum_start, &b[6], 2);
  std::memcpy(&h.csum_offset, &b[8], 2);
  return h;
}

void VnetHdr::serialize(std::span<std::uint8_t, kVnetHdrLen> b) const {
  b[0] = flags;
  b[1] = gso_type;
  std::memcpy(&b[2], &hdr_len, 2);
  std::memcpy(&b[4], &gso_size, 2);
  std::memcpy(&b[6], &csum_start, 2);
  std::memcpy(&b[8], &csum_offset, 2);
}

std::uint32_t checksum_add(Bytes data, std::uint32_t sum) {
  // Sum native-order 32-bit words into four independent 64-bit accumulators (no carry
  // handling needed: a 64 KiB packet adds at most 2^12 words of < 2^32 to each); the
  // ones' complement sum is byte-order independent up to a final byte swap (RFC 1071
  // section 2(B)). Inputs beyond 2^32 bytes are not supported (packets are < 64 KiB).
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if defined(__SSE2__)
  // The same sums, two 64-bit lanes per register (SSE2 is baseline on x86-64).
  if (n >= 64) {
    const __m128i zero = _mm_setzero_si128();
    __m128i lo = zero, hi = zero;
    for (; n >= 64; n -= 64, p += 64) {
      for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        lo = _mm_add_epi64(lo, _mm_unpacklo_epi32(v, zero));
        hi = _mm_add_epi64(hi, _mm_unpackhi_epi32(v, zero));
      }
    }
    std::uint64_t lanes[4];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + 2), hi);
    a0 = lanes[0], a1 = lanes[1], a2 = lanes[2], a3 = lanes[3];
  }
#endif
  for (; n >= 16; n -= 16, p += 16) {
    std::uint32_t w[4];
    std::memcpy(w, p, 16);
    a0 += w[0];
    a1 += w[1];
    a2 += w[2];
    a3 += w[3];
  }
  std::uint64_t acc = a0 + a1 + a2 + a3;
  for (; n >= 4; n -= 4, p += 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    n -= 2;
    p += 2;
  }
  if (n) acc += *p;  // at an even offset: the low byte of a little-endian word
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  auto folded = static_cast<std::uint32_t>(acc);
  folded = (folded & 0xffff) + (folded >> 16);
  folded = (folded & 0xffff) + (folded >> 16);
  if constexpr (std::endian::native == std::endian::little) {
    folded = ((folded & 0xff) << 8) | (folded >> 8);
  }
  const std::uint64_t total = static_cast<std::uint64_t>(sum) + folded;
  return static_cast<std::uint32_t>((total & 0xffffffff) + (total >> 32));
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

bool gso_split(MutBytes p, const VnetHdr& h, std::vector<std::uint8_t>& scratch,
               void (*emit_fn)(void*, Bytes), void* ctx) {
  auto emit = [emit_fn, ctx](Bytes b) { emit_fn(ctx, b); };
  const std::uint8_t type = h.gso_type & static_cast<std::uint8_t>(~VnetHdr::kGsoEcn);
  if (type == VnetHdr::kGsoNone) {
    if (h.flags & VnetHdr::kNeedsCsum) {
      const std::size_t start = h.csum_start;
      const std::size_t field = start + h.csum_offset;
      if (field + 2 > p.size()) return false;
      // The field holds the pseudo-header sum; summing over it completes the checksum.
      const auto c =
          static_cast<std::uint16_t>(~checksum_fold(checksum_add(Bytes(p).subspan(start))));
      put16(&p[field], c);
    }
    emit(p);
    return true;
  }
  if (type != VnetHdr::kGsoTcpV4 && type != VnetHdr::kGsoTcpV6) return false;
  if (p.size() < 40) return false;
  const int family = p[0] >> 4;
  if ((family == 4) != (type == VnetHdr::kGsoTcpV4) || (family != 4 && family != 6)) return false;
  const std::size_t ip_len = family == 4 ? static_cast<std::size_t>(p[0] & 0x0f) * 4 : 40;
  if (ip_len < 20 || h.csum_start != ip_len || ip_len + 20 > p.size()) return false;
  if (family == 4 ? p[9] != kProtoTcp : p[6] != kProtoTcp) return false;
  const std::size_t tcp_len = static_cast<std::size_t>(p[ip_len + 12] >> 4) * 4;
  const std::size_t hdr = ip_len + tcp_len;
  if (tcp_len < 20 || hdr > p.size() || h.gso_size == 0) return false;
  const std::size_t payload = p.size() - hdr;
  const std::size_t gso = h.gso_size;
  const std::uint32_t seq0 = be32(&p[ip_len + 4]);
  const std::uint16_t id0 = family == 4 ? be16(&p[4]) : 0;
  const std::uint8_t flags0 = p[ip_len + 13];
  // The original headers; each segment gets a patched copy written in front of its
  // payload, over the tail of the previous segment (already emitted).
  scratch.assign(p.data(), p.data() + hdr);
  std::size_t off = 0;
  std::uint16_t i = 0;
  do {
    const std::size_t chunk = std::min(gso, payload - off);
    const bool last = off + chunk >= payload;
    std::uint8_t* s = p.data() + off;
    if (off > 0) std::memcpy(s, scratch.data(), hdr);
    const std::size_t total = hdr + chunk;
    if (family == 4) {
      put16(s + 2, static_cast<std::uint16_t>(total));
      put16(s + 4, static_cast<std::uint16_t>(id0 + i));
      ipv4_header_checksum(s, ip_len);
    } else {
      put16(s + 4, static_cast<std::uint16_t>(total - 40));
    }
    std::uint8_t* tcp = s + ip_len;
    put32(tcp + 4, seq0 + static_cast<std::uint32_t>(off));
    std::uint8_t f = flags0;
    if (!last) f &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
    if (i > 0) f &= static_cast<std::uint8_t>(~kTcpCwr);
    tcp[13] = f;
    put16(tcp + 16, 0);
    const std::uint32_t sum =
        checksum_add(Bytes(tcp, tcp_len + chunk), pseudo_sum(s, family, tcp_len + chunk));
    put16(tcp + 16, static_cast<std::uint16_t>(~checksum_fold(sum)));
    emit(Bytes(s, total));
    off += chunk;
    ++i;
  } while (off < payload);
  return true;
}

void TcpCoalescer::clear() {
  n_ = 0;
}

TcpCoalescer::Item& TcpCoalescer::new_item() {
  if (n_ == items_.size()) items_.emplace_back();
  Item& it = items_[n_++];
  it.head.clear();
  it.pieces.clear();
  it.open = false;
  it.segments = 0;
  return it;
}

std::vector<std::uint8_t> TcpCoalescer::packet(std::size_t i) const {
  std::vector<std::uint8_t> out;
  for (Bytes b : items_[i].pieces)
    out.insert(out.end(), b.begin(), b.end());
  return out;
}

bool TcpCoalescer::try_append(Item& item, Bytes p, std::size_t ip_len, std::size_t tcp_len,
                              std::size_t payload) {
  const std::uint8_t* q = item.head.data() + kVnetHdrLen;
  if (!item.open || item.ip_len != ip_len || item.tcp_len != tcp_len) return false;
  if (item.family == 4) {
    if (std::memcmp(q, p.data(), 2) != 0 || std::memcmp(q + 6, p.data() + 6, 4) != 0 ||
        std::memcmp(q + 12, p.data() + 12, 8) != 0) {
      return false;
    }
  } else if (std::memcmp(q, p.data(), 4) != 0 || std::memcmp(q + 6, p.data() + 6, 34) != 0) {
    return false;
  }
  const std::uint8_t* a = q + ip_len;
  const std::uint8_t* b = p.data() + ip_len;
  // Same ports, ack number, data offset, window and options; next sequence number.
  if (std::memcmp(a, b, 4) != 0 || std::memcmp(a + 8, b + 8, 5) != 0 ||
      std::memcmp(a + 14, b + 14, 2) != 0 || std::memcmp(a + 20, b + 20, tcp_len - 20) != 0) {
    return false;
  }
  if (be32(b + 4) != item.next_seq || payload > item.seg_size) return false;
  if (item.total + payload > 65535 || item.segments >= TcpCoalescer::kMaxSegments) return false;
  item.pieces.push_back(p.subspan(ip_len + tcp_len));
  item.total += payload;
  item.next_seq += static_cast<std::uint32_t>(payload);
  ++item.segments;
  if (b[13] & kTcpPsh) {
    item.head[kVnetHdrLen + ip_len + 13] |= kTcpPsh;
    item.open = false;
  }
  if (payload < item.seg_size) item.open = false;
  return true;
}

void TcpCoalescer::add(Bytes p) {
  TcpInfo t;
  if (parse_tcp(p, t)) {
    const std::size_t payload = t.total - t.ip_len - t.tcp_len;
    const std::uint8_t flags = p[t.ip_len + 13];
    const bool plain = payload > 0 && (flags == kTcpAck || flags == (kTcpAck | kTcpPsh));
    // The newest item of this flow, if recent: append, or close it to keep flow order.
    const std::size_t lookback = std::min<std::size_t>(n_, 8);
    for (std::size_t k = 0; k < lookback; ++k) {
      Item& it = items_[n_ - 1 - k];
      if (!it.open || it.family != t.family) continue;
      const std::uint8_t* q = it.head.data() + kVnetHdrLen;
      const std::size_t addr_off = t.family == 4 ? 12 : 8;
      const std::size_t addr_len = t.family == 4 ? 8 : 32;
      if (std::memcmp(q + addr_off, p.data() + addr_off, addr_len) != 0 ||
          std::memcmp(q + it.ip_len, p.data() + t.ip_len, 4) != 0) {
        continue;
      }
      if (plain && try_append(it, p, t.ip_len, t.tcp_len, payload)) return;
      it.open = false;
      break;
    }
    if (plain) {
      Item& it = new_item();
      const std::size_t hdr = t.ip_len + t.tcp_len;
      it.head.resize(kVnetHdrLen);
      it.head.insert(it.head.end(), p.begin(), p.begin() + static_cast<std::ptrdiff_t>(hdr));
      it.pieces.push_back({});  // the head, set by finish()
      it.pieces.push_back(p.subspan(hdr));
      it.open = (flags & kTcpPsh) == 0;
      it.family = static_cast<std::uint8_t>(t.family);
      it.ip_len = t.ip_len;
      it.tcp_len = t.tcp_len;
      it.total = t.total;
      it.seg_size = payload;
      it.next_seq = be32(&p[t.ip_len + 4]) + static_cast<std::uint32_t>(payload);
      it.segments = 1;
      return;
    }
  }
  Item& it = new_item();
  it.head.resize(kVnetHdrLen);
  it.pieces.push_back({});
  it.pieces.push_back(p);
  it.segments = 1;
}

void TcpCoalescer::finish(Item& it) {
  it.open = false;
  VnetHdr h;
  if (it.segments > 1) {
    std::uint8_t* ip = it.head.data() + kVnetHdrLen;
    const std::size_t total = it.total;
    if (it.family == 4) {
      put16(ip + 2, static_cast<std::uint16_t>(total));
      ipv4_header_checksum(ip, it.ip_len);
    } else {
      put16(ip + 4, static_cast<std::uint16_t>(total - 40));
    }
    // CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum.
    put16(ip + it.ip_len + 16, checksum_fold(pseudo_sum(ip, it.family, total - it.ip_len)));
    h = VnetHdr::tcp_gso(it.family, it.ip_len, it.ip_len + it.tcp_len, it.seg_size);
  }
  h.serialize(std::span<std::uint8_t, kVnetHdrLen>(it.head.data(), kVnetHdrLen));
  it.pieces[0] = it.head;
}

void TcpCoalescer::finish_batch() {
  for (std::size_t i = 0; i < n_; ++i)
    finish(items_[i]);
}

}  // namespace ward::wg
