// TCP segmentation and coalescing for a TUN device opened with IFF_VNET_HDR (the
// virtio_net_hdr in front of every packet), the userspace side of TSO/GRO. Pure: byte
// spans in, byte spans out; the daemon does the I/O.
//
// - gso_split: a packet read from TUN may be a TCP super-packet (gso_type TCPV4/TCPV6, up
//   to 64 KiB) or carry a partial checksum (NEEDS_CSUM). It is cut into gso_size
//   segments with complete IP and TCP checksums, as a NIC would.
// - TcpCoalescer: decrypted packets of one batch are merged per TCP flow into super-packets
//   (consecutive sequence numbers, equal segment sizes, identical headers apart from
//   length/id/seq/checksum, only ACK/PSH flags) so the TUN device gets one write per flow
//   instead of one per segment, gathered from the packets where they lie (only headers
//   are copied). Everything else passes through unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "node/wg/crypto.hpp"

namespace ward::wg {

inline constexpr std::size_t kVnetHdrLen = 10;

struct VnetHdr {
  static constexpr std::uint8_t kNeedsCsum = 1;
  static constexpr std::uint8_t kDataValid = 2;
  static constexpr std::uint8_t kGsoNone = 0;
  static constexpr std::uint8_t kGsoTcpV4 = 1;
  static constexpr std::uint8_t kGsoTcpV6 = 4;
  static constexpr std::uint8_t kGsoEcn = 0x80;

  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;

  // The header of a TCP super-packet to be cut into segments of `segment_size` payload
  // bytes, with a partial checksum (kNeedsCsum: the TCP checksum field holds the folded
  // pseudo-header sum, completed from csum_start): `family` 4 or 6, `ip_len` the IP
  // header's length (where TCP starts), `hdr_len` the IP and TCP headers' length (0 when
  // not known, as a writer to TUN may leave it).
  static VnetHdr tcp_gso(int family, std::size_t ip_len, std::size_t hdr_len,
                         std::size_t segment_size) {
    VnetHdr h;
    h.flags = kNeedsCsum;
    h.gso_type = family == 4 ? kGsoTcpV4 : kGsoTcpV6;
    h.hdr_len = static_cast<std::uint16_t>(hdr_len);
    h.gso_size = static_cast<std::uint16_t>(segment_size);
    h.csum_start = static_cast<std::uint16_t>(ip_len);
    h.csum_offset = 16;  // the checksum field in the TCP header
    return h;
  }

  static VnetHdr parse(std::span<const std::uint8_t, kVnetHdrLen> b);
  void serialize(std::span<std::uint8_t, kVnetHdrLen> b) const;
};

// Internet checksum helpers (RFC 1071), exposed for tests.
std::uint32_t checksum_add(Bytes data, std::uint32_t sum = 0);
std::uint16_t checksum_fold(std::uint32_t sum);

// Splits `packet` (after its vnet header) into complete IP packets, calling emit(ctx,
// segment) for each. The split works in place: each segment's headers are written just in
// front of its payload inside `packet`, over bytes of the previous segment, so `packet`'s
// contents are destroyed and a segment is valid only during its emit call (copy it to
// keep it). `scratch` is reused storage for the original headers. Returns false (emitting
// nothing) for a malformed packet. No allocation once scratch has grown.
bool gso_split(MutBytes packet, const VnetHdr& hdr, std::vector<std::uint8_t>& scratch,
               void (*emit)(void* ctx, Bytes segment), void* ctx);
// Convenience form taking any callable `void(Bytes)`.
template <class F>
bool gso_split(MutBytes packet, const VnetHdr& hdr, std::vector<std::uint8_t>& scratch, F&& emit) {
  using Fn = std::remove_reference_t<F>;
  return gso_split(
      packet, hdr, scratch, [](void* c, Bytes b) { (*static_cast<Fn*>(c))(b); },
      const_cast<void*>(static_cast<const void*>(&emit)));
}

class TcpCoalescer {
 public:
  // A merged packet has at most this many segments (so at most kMaxSegments + 1 pieces,
  // well within one writev), and at most 64 KiB.
  static constexpr std::size_t kMaxSegments = 64;

  // Starts a new batch (keeps buffer capacity).
  void clear();
  // Adds one decrypted IP packet. The coalescer refers to the packet's bytes without
  // copying them (only headers are copied): they must stay valid and unchanged until the
  // next clear().
  void add(Bytes packet);
  // Closes the batch; pieces(i) and packet(i) are valid until the next clear().
  void finish_batch();
  // The batch's packets to write, each a vnet header followed by the packet, given as
  // pieces to concatenate (for one writev): pieces(i)[0] is the coalescer's own vnet
  // header (plus, for a merged flow, the rewritten IP and TCP headers), the rest are
  // slices of the added packets.
  std::size_t size() const { return n_; }
  std::span<const Bytes> pieces(std::size_t i) const { return items_[i].pieces; }
  // The same packet concatenated into one buffer (a copy; for tests and tools).
  std::vector<std::uint8_t> packet(std::size_t i) const;

 private:
  struct Item {
    std::vector<std::uint8_t> head;  // vnet header [+ IP and TCP headers of a TCP item]
    std::vector<Bytes> pieces;       // [0]: head; then payloads or the whole packet
    bool open = false;               // may take more segments
    std::uint8_t family = 0;
    std::size_t ip_len = 0;
    std::size_t tcp_len = 0;
    std::size_t total = 0;  // IP packet length so far
    std::size_t seg_size = 0;
    std::uint32_t next_seq = 0;
    std::size_t segments = 0;
  };
  Item& new_item();
  void finish(Item& item);
  bool try_append(Item& item, Bytes packet, std::size_t ip_len, std::size_t tcp_len,
                  std::size_t payload);

  std::vector<Item> items_;
  std::size_t n_ = 0;
};

}  // namespace ward::wg
