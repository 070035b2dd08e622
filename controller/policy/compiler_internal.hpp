// Internal helpers shared by the compiler's translation units (not a public API).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "controller/policy/policy.hpp"

namespace ward::policy::detail {

using SlotSet = std::vector<std::uint32_t>;

inline bool has(const SlotSet& v, std::uint32_t x) {
  return std::binary_search(v.begin(), v.end(), x);
}

inline void insert_sorted(SlotSet& v, std::uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

inline void erase_sorted(SlotSet& v, std::uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}

inline void sort_unique(SlotSet& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Adds (protos, ports) to a list of groups keyed by protocol set, merging ports.
inline void add_group(std::vector<std::pair<ProtoSet, PortSet>>& groups, const ProtoSet& protos,
                      const PortSet& ports) {
  for (auto& [p, ps] : groups) {
    if (p == protos) {
      ps.insert(ps.end(), ports.begin(), ports.end());
      return;
    }
  }
  groups.emplace_back(protos, ports);
}

}  // namespace ward::policy::detail
