#include "common/net/prefix_set.hpp"

#include <algorithm>

namespace ward::net {
namespace {

using detail::kU128Max;
using detail::U128;

int ctz128(U128 v, int width) {
  if (v == 0) return width;
  auto lo = static_cast<std::uint64_t>(v);
  if (lo != 0) return __builtin_ctzll(lo);
  return 64 + __builtin_ctzll(static_cast<std::uint64_t>(v >> 64));
}

// floor(log2(v)) for v > 0.
int log2_floor(U128 v) {
  auto hi = static_cast<std::uint64_t>(v >> 64);
  if (hi != 0) return 127 - __builtin_clzll(hi);
  return 63 - __builtin_clzll(static_cast<std::uint64_t>(v));
}

std::pair<U128, U128> range_of(const Prefix& p) {
  U128 first = detail::to_u128(p.address());
  return {first, first | detail::host_mask(p.address().bit_width() - p.bits())};
}

// Appends the minimal list of prefixes covering [lo, hi] exactly.
void decompose(Family family, U128 lo, U128 hi, std::vector<Prefix>& out) {
  const int width = detail::family_width(family);
  while (true) {
    int k = ctz128(lo, width);
    const U128 span = hi - lo;  // size - 1
    if (span != kU128Max) k = std::min(k, log2_floor(span + 1));
    auto p = Prefix::make(detail::from_u128(family, lo), width - k);
    out.push_back(*p);
    const U128 block_last = lo + detail::host_mask(k);
    if (block_last >= hi) return;
    lo = block_last + 1;
  }
}

}  // namespace

PrefixSet::PrefixSet(std::span<const Prefix> prefixes) {
  for (const auto& p : prefixes)
    insert(p);
}

void PrefixSet::insert(const Prefix& prefix) {
  auto& rs = ranges(prefix.family());
  auto [a, b] = range_of(prefix);
  // First range that touches or follows [a, b] (adjacent ranges merge).
  const U128 touch_lo = a == 0 ? 0 : a - 1;
  auto it = std::lower_bound(rs.begin(), rs.end(), touch_lo,
                             [](const Range& r, U128 v) { return r.second < v; });
  const U128 touch_hi = b == kU128Max ? kU128Max : b + 1;
  auto end = it;
  while (end != rs.end() && end->first <= touch_hi) {
    a = std::min(a, end->first);
    b = std::max(b, end->second);
    ++end;
  }
  if (it == end) {
    rs.insert(it, Range{a, b});
  } else {
    *it = Range{a, b};
    rs.erase(it + 1, end);
  }
}

void PrefixSet::insert(const PrefixSet& other) {
  for (const auto& p : other.to_prefixes())
    insert(p);
}

void PrefixSet::remove(const Prefix& prefix) {
  auto& rs = ranges(prefix.family());
  auto [a, b] = range_of(prefix);
  auto it = std::lower_bound(rs.begin(), rs.end(), a,
                             [](const Range& r, U128 v) { return r.second < v; });
  auto end = it;
  std::vector<Range> keep;
  while (end != rs.end() && end->first <= b) {
    if (end->first < a) keep.push_back({end->first, a - 1});
    if (end->second > b) keep.push_back({b + 1, end->second});
    ++end;
  }
  it = rs.erase(it, end);
  rs.insert(it, keep.begin(), keep.end());
}

void PrefixSet::clear() {
  v4_.clear();
  v6_.clear();
}

bool PrefixSet::contains(const IpAddress& ip) const {
  const auto& rs = ranges(ip.family());
  const U128 x = detail::to_u128(ip);
  auto it = std::lower_bound(rs.begin(), rs.end(), x,
                             [](const Range& r, U128 v) { return r.second < v; });
  return it != rs.end() && it->first <= x;
}

bool PrefixSet::contains(const Prefix& prefix) const {
  const auto& rs = ranges(prefix.family());
  auto [a, b] = range_of(prefix);
  auto it = std::lower_bound(rs.begin(), rs.end(), a,
                             [](const Range& r, U128 v) { return r.second < v; });
  // Ranges are merged, so a covered prefix lies within a single range.
  return it != rs.end() && it->first <= a && it->second >= b;
}

bool PrefixSet::overlaps(const Prefix& prefix) const {
  const auto& rs = ranges(prefix.family());
  auto [a, b] = range_of(prefix);
  auto it = std::lower_bound(rs.begin(), rs.end(), a,
                             [](const Range& r, U128 v) { return r.second < v; });
  return it != rs.end() && it->first <= b;
}

std::vector<Prefix> PrefixSet::to_prefixes(Family family) const {
  std::vector<Prefix> out;
  for (const auto& [lo, hi] : ranges(family))
    decompose(family, lo, hi, out);
  return out;
}

std::vector<Prefix> PrefixSet::to_prefixes() const {
  std::vector<Prefix> out = to_prefixes(Family::kV4);
  std::vector<Prefix> v6 = to_prefixes(Family::kV6);
  out.insert(out.end(), v6.begin(), v6.end());
  return out;
}

std::string PrefixSet::to_string() const {
  std::string out;
  for (const auto& p : to_prefixes()) {
    if (!out.empty()) out += ", ";
    out += p.to_string();
  }
  return out;
}

}  // namespace ward::net
