#include "node/wg/replay.hpp"

#include <algorithm>

namespace ward::wg {

bool ReplayWindow::validate(std::uint64_t counter) {
  if (greatest_ >= kRejectAfterMessages + 1 || counter >= kRejectAfterMessages) return false;
  ++counter;
  if (kCounterWindowSize + counter < greatest_) return false;
  std::uint64_t index = counter >> 6;
  if (counter > greatest_) {
    const std::uint64_t index_current = greatest_ >> 6;
    const std::uint64_t top = std::min(index - index_current, kBlocks);
    for (std::uint64_t i = 1; i <= top; ++i)
      bitmap_[(i + index_current) & (kBlocks - 1)] = 0;
    greatest_ = counter;
  }
  index &= kBlocks - 1;
  const std::uint64_t bit = std::uint64_t{1} << (counter & 63);
  const bool seen = (bitmap_[index] & bit) != 0;
  bitmap_[index] |= bit;
  return !seen;
}

void ReplayWindow::reset() {
  greatest_ = 0;
  bitmap_.fill(0);
}

}  // namespace ward::wg
