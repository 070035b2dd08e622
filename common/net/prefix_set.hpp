// PrefixSet: a set of addresses described by prefixes, both families, kept as sorted,
// merged, disjoint address ranges per family.
//
// Contracts:
// - insert() and remove() are set union and difference on the addresses covered; the
//   order of calls does not matter for the final set, only the sequence of operations.
// - to_prefixes() returns the unique minimal list of prefixes covering exactly the set:
//   sorted (v4 first, then by address), disjoint, and no two of them could be merged into
//   one. Two sets holding the same addresses compare equal and print the same prefixes.
// - Queries are O(log n) in the number of ranges; insert/remove O(n) worst case.
// Thread-safety: a value type; concurrent const calls are safe, mutation is not.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/net/ip.hpp"
#include "common/net/ip_int.hpp"

namespace ward::net {

class PrefixSet {
 public:
  PrefixSet() = default;
  explicit PrefixSet(std::span<const Prefix> prefixes);

  void insert(const Prefix& prefix);
  void insert(const PrefixSet& other);
  void remove(const Prefix& prefix);
  void clear();

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool contains(const IpAddress& ip) const;
  // True if every address of prefix is in the set.
  bool contains(const Prefix& prefix) const;
  // True if at least one address of prefix is in the set.
  bool overlaps(const Prefix& prefix) const;

  // The minimal cover, all families (v4 first).
  std::vector<Prefix> to_prefixes() const;
  std::vector<Prefix> to_prefixes(Family family) const;
  // Comma-separated to_prefixes(), e.g. "10.0.0.0/8, fd00::/8"; "" when empty.
  std::string to_string() const;

  friend bool operator==(const PrefixSet&, const PrefixSet&) = default;

 private:
  using Range = std::pair<detail::U128, detail::U128>;  // inclusive [first, last]
  std::vector<Range>& ranges(Family f) { return f == Family::kV4 ? v4_ : v6_; }
  const std::vector<Range>& ranges(Family f) const { return f == Family::kV4 ? v4_ : v6_; }

  std::vector<Range> v4_;
  std::vector<Range> v6_;
};

}  // namespace ward::net
