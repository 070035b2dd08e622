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
//   instead of one per segment. Everything else passes through unchanged.
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

  static VnetHdr parse(std::span<const std::uint8_t, kVnetHdrLen> b);
  void serialize(std::span<std::uint8_t, kVnetHdrLen> b) const;
};

// Internet checksum helpers (RFC 1071), exposed for tests.
std::uint32_t checksum_add(Bytes data, std::uint32_t sum = 0);
std::uint16_t checksum_fold(std::uint32_t sum);

// Splits `packet` (after its vnet header) into complete IP packets, calling emit(ctx,
// segment) for each; `scratch` is reused storage. Returns false (emitting nothing) for a
// malformed packet. No allocation once scratch has grown.
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
  // Starts a new batch (keeps buffer capacity).
  void clear();
  // Adds one decrypted IP packet.
  void add(Bytes packet);
  // Closes the batch; packet(i) is valid until the next clear().
  void finish_batch();
  // The batch's packets to write, each a vnet header followed by the packet.
  std::size_t size() const { return n_; }
  Bytes packet(std::size_t i) const { return items_[i].bytes; }

 private:
  struct Item {
    std::vector<std::uint8_t> bytes;  // vnet header + packet
    bool open = false;                // may take more segments
    std::uint8_t family = 0;
    std::size_t ip_len = 0;
    std::size_t tcp_len = 0;
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
