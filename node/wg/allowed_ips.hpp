// Cryptokey routing table: longest-prefix match from an IPv4 or IPv6 address to a peer
// (the Linux driver's allowedips.c). One path-compressed binary trie per family: each node
// holds its whole prefix, so a lookup visits one node per stored prefix on the path, not
// one per address bit. A prefix belongs to at most one peer (inserting it again moves it);
// host bits are masked off on insert.
//
// Not thread-safe: mutate and read from one thread, or swap whole tables. Lookups do not
// allocate.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ward::wg {

using PeerId = std::uint32_t;

struct IpPrefix {
  std::uint8_t family = 4;  // 4 or 6
  std::array<std::uint8_t, 16> addr{};
  std::uint8_t cidr = 0;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

class AllowedIps {
 public:
  AllowedIps();

  // False (table unchanged) if the family is not 4/6 or cidr exceeds 32/128.
  bool insert(const IpPrefix& prefix, PeerId peer);
  // Removes one prefix if it belongs to `peer`; true if something was removed.
  bool remove(const IpPrefix& prefix, PeerId peer);
  void remove_by_peer(PeerId peer);
  void clear();

  // The peer of the longest prefix containing addr (4 or 16 bytes by family).
  std::optional<PeerId> lookup(std::uint8_t family, std::span<const std::uint8_t> addr) const;
  // All prefixes of a peer (masked), IPv4 first, each family in trie order.
  std::vector<IpPrefix> prefixes_of(PeerId peer) const;
  std::size_t size() const { return count_; }

 private:
  static constexpr std::int32_t kNone = -1;
  // An address or prefix as a 128-bit big-endian number (IPv4 in the top 32 bits).
  struct Bits {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
  };
  struct Node {
    Bits key;  // masked to cidr
    std::uint8_t cidr = 0;
    bool has_peer = false;
    PeerId peer = 0;
    std::int32_t child[2] = {kNone, kNone};
  };
  std::int32_t new_node(const Bits& key, std::uint8_t cidr);
  std::int32_t& root(std::uint8_t family) { return family == 4 ? root4_ : root6_; }
  // Drops peerless nodes with fewer than two children below and including n.
  std::int32_t prune(std::int32_t n);
  void collect(std::int32_t n, std::uint8_t family, PeerId peer, std::vector<IpPrefix>& out) const;

  std::vector<Node> nodes_;
  std::vector<std::int32_t> free_;
  std::int32_t root4_ = kNone;
  std::int32_t root6_ = kNone;
  std::size_t count_ = 0;
};

}  // namespace ward::wg
