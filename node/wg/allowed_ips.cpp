#include "node/wg/allowed_ips.hpp"

#include <bit>

namespace ward::wg {
namespace {

std::uint64_t load_be64(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = v << 8 | (i < n ? p[i] : 0);
  return v;
}

unsigned max_bits(std::uint8_t family) {
  return family == 4 ? 32 : family == 6 ? 128 : 0;
}

// Helpers on AllowedIps::Bits, templated because that type is private.
template <class B>
B to_bits(std::uint8_t family, std::span<const std::uint8_t> addr) {
  B b;
  const std::size_t n = family == 4 ? 4 : 16;
  b.hi = load_be64(addr.data(), n < 8 ? n : 8);
  b.lo = n > 8 ? load_be64(addr.data() + 8, 8) : 0;
  return b;
}

template <class B>
B mask(const B& b, unsigned cidr) {
  B m;
  m.hi = cidr == 0 ? 0 : cidr >= 64 ? b.hi : b.hi & (~std::uint64_t{0} << (64 - cidr));
  m.lo = cidr <= 64 ? 0 : cidr >= 128 ? b.lo : b.lo & (~std::uint64_t{0} << (128 - cidr));
  return m;
}

template <class B>
int bit(const B& b, unsigned i) {
  return i < 64 ? static_cast<int>((b.hi >> (63 - i)) & 1)
                : static_cast<int>((b.lo >> (127 - i)) & 1);
}

// Length of the common prefix of a and b, at most limit.
template <class B>
unsigned common_prefix(const B& a, const B& b, unsigned limit) {
  unsigned n;
  if (a.hi != b.hi) {
    n = static_cast<unsigned>(std::countl_zero(a.hi ^ b.hi));
  } else if (a.lo != b.lo) {
    n = 64 + static_cast<unsigned>(std::countl_zero(a.lo ^ b.lo));
  } else {
    n = 128;
  }
  return n < limit ? n : limit;
}

template <class B>
bool same(const B& a, const B& b) {
  return a.hi == b.hi && a.lo == b.lo;
}

}  // namespace

AllowedIps::AllowedIps() {
  nodes_.reserve(64);
}

std::int32_t AllowedIps::new_node(const Bits& key, std::uint8_t cidr) {
  Node n;
  n.key = key;
  n.cidr = cidr;
  if (!free_.empty()) {
    const std::int32_t i = free_.back();
    free_.pop_back();
    nodes_[i] = n;
    return i;
  }
  nodes_.push_back(n);
  return static_cast<std::int32_t>(nodes_.size() - 1);
}

bool AllowedIps::insert(const IpPrefix& p, PeerId peer) {
  const unsigned bits = max_bits(p.family);
  if (bits == 0 || p.cidr > bits) return false;
  const Bits key = mask(to_bits<Bits>(p.family, p.addr), p.cidr);
  const unsigned cidr = p.cidr;
  // Walk with the slot (parent's child field or the root) that points at the node.
  std::int32_t parent = kNone;
  int side = 0;
  auto slot = [&]() -> std::int32_t& {
    return parent == kNone ? root(p.family) : nodes_[parent].child[side];
  };
  for (;;) {
    const std::int32_t n = slot();
    if (n == kNone) {
      const std::int32_t fresh = new_node(key, static_cast<std::uint8_t>(cidr));
      nodes_[fresh].has_peer = true;
      nodes_[fresh].peer = peer;
      slot() = fresh;
      ++count_;
      return true;
    }
    const Bits nkey = nodes_[n].key;
    const unsigned ncidr = nodes_[n].cidr;
    const unsigned common = common_prefix(nkey, key, ncidr < cidr ? ncidr : cidr);
    if (common == ncidr) {
      if (ncidr == cidr) {
        if (!nodes_[n].has_peer) ++count_;
        nodes_[n].has_peer = true;
        nodes_[n].peer = peer;
        return true;
      }
      parent = n;
      side = bit(key, ncidr);
      continue;
    }
    // n is not on the new prefix's path: put a node above it.
    const std::int32_t fresh = new_node(key, static_cast<std::uint8_t>(cidr));  // may move nodes_
    ++count_;
    if (common == cidr) {
      nodes_[fresh].has_peer = true;
      nodes_[fresh].peer = peer;
      nodes_[fresh].child[bit(nkey, cidr)] = n;
      slot() = fresh;
      return true;
    }
    const std::int32_t mid = new_node(mask(key, common), static_cast<std::uint8_t>(common));
    nodes_[fresh].has_peer = true;
    nodes_[fresh].peer = peer;
    nodes_[mid].child[bit(nkey, common)] = n;
    nodes_[mid].child[bit(key, common)] = fresh;
    slot() = mid;
    return true;
  }
}

bool AllowedIps::remove(const IpPrefix& p, PeerId peer) {
  const unsigned bits = max_bits(p.family);
  if (bits == 0 || p.cidr > bits) return false;
  const Bits key = mask(to_bits<Bits>(p.family, p.addr), p.cidr);
  std::int32_t n = root(p.family);
  while (n != kNone && nodes_[n].cidr < p.cidr &&
         common_prefix(nodes_[n].key, key, nodes_[n].cidr) == nodes_[n].cidr) {
    n = nodes_[n].child[bit(key, nodes_[n].cidr)];
  }
  if (n == kNone || nodes_[n].cidr != p.cidr || !same(nodes_[n].key, key) || !nodes_[n].has_peer ||
      nodes_[n].peer != peer) {
    return false;
  }
  nodes_[n].has_peer = false;
  --count_;
  root4_ = prune(root4_);
  root6_ = prune(root6_);
  return true;
}

void AllowedIps::remove_by_peer(PeerId peer) {
  for (Node& n : nodes_) {
    if (n.has_peer && n.peer == peer) {
      n.has_peer = false;
      --count_;
    }
  }
  root4_ = prune(root4_);
  root6_ = prune(root6_);
}

void AllowedIps::clear() {
  nodes_.clear();
  free_.clear();
  root4_ = root6_ = kNone;
  count_ = 0;
}

std::int32_t AllowedIps::prune(std::int32_t n) {
  if (n == kNone) return kNone;
  // Recursion depth is bounded by the address length (128).
  nodes_[n].child[0] = prune(nodes_[n].child[0]);
  nodes_[n].child[1] = prune(nodes_[n].child[1]);
  if (nodes_[n].has_peer) return n;
  const std::int32_t c0 = nodes_[n].child[0];
  const std::int32_t c1 = nodes_[n].child[1];
  if (c0 != kNone && c1 != kNone) return n;
  free_.push_back(n);
  return c0 != kNone ? c0 : c1;  // a lone child keeps its own full prefix
}

std::optional<PeerId> AllowedIps::lookup(std::uint8_t family,
                                         std::span<const std::uint8_t> addr) const {
  const unsigned bits = max_bits(family);
  if (bits == 0 || addr.size() * 8 < bits) return std::nullopt;
  const Bits key = to_bits<Bits>(family, addr);
  std::int32_t n = family == 4 ? root4_ : root6_;
  std::optional<PeerId> best;
  while (n != kNone) {
    const Node& node = nodes_[n];
    if (!same(mask(key, node.cidr), node.key)) break;
    if (node.has_peer) best = node.peer;
    if (node.cidr >= bits) break;
    n = node.child[bit(key, node.cidr)];
  }
  return best;
}

void AllowedIps::collect(std::int32_t n, std::uint8_t family, PeerId peer,
                         std::vector<IpPrefix>& out) const {
  if (n == kNone) return;
  const Node& node = nodes_[n];
  if (node.has_peer && node.peer == peer) {
    IpPrefix p;
    p.family = family;
    p.cidr = node.cidr;
    for (int i = 0; i < 8; ++i)
      p.addr[i] = static_cast<std::uint8_t>(node.key.hi >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i)
      p.addr[8 + i] = static_cast<std::uint8_t>(node.key.lo >> (56 - 8 * i));
    out.push_back(p);
  }
  collect(node.child[0], family, peer, out);
  collect(node.child[1], family, peer, out);
}

std::vector<IpPrefix> AllowedIps::prefixes_of(PeerId peer) const {
  std::vector<IpPrefix> out;
  collect(root4_, 4, peer, out);
  collect(root6_, 6, peer, out);
  return out;
}

}  // namespace ward::wg
