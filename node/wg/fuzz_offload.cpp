// libFuzzer target: TSO splitting of TUN input (first 10 bytes as the virtio_net_hdr) and
// TCP coalescing of (decrypted, peer-controlled) packets.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "node/wg/offload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::vector<std::uint8_t> scratch;
  static ward::wg::TcpCoalescer coalescer;
  if (size < ward::wg::kVnetHdrLen) return 0;
  const auto hdr = ward::wg::VnetHdr::parse(
      std::span<const std::uint8_t, ward::wg::kVnetHdrLen>(data, ward::wg::kVnetHdrLen));
  std::vector<std::uint8_t> packet(data + ward::wg::kVnetHdrLen, data + size);
  // Segments are only valid during the callback and the coalescer keeps views: copy them.
  std::vector<std::vector<std::uint8_t>> segments;
  (void)ward::wg::gso_split(packet, hdr, scratch, [&](ward::wg::Bytes seg) {
    segments.emplace_back(seg.begin(), seg.end());
  });
  coalescer.clear();
  for (const auto& seg : segments)
    coalescer.add(seg);
  coalescer.add(ward::wg::Bytes(data, size));
  coalescer.finish_batch();
  std::size_t total = 0;
  for (std::size_t i = 0; i < coalescer.size(); ++i)
    for (ward::wg::Bytes piece : coalescer.pieces(i))
      total += piece.size();
  if (total < ward::wg::kVnetHdrLen * coalescer.size()) __builtin_trap();
  return 0;
}
