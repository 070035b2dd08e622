// Replay protection for transport counters: an RFC 6479-style sliding window, the design
// of the Linux driver's counter.c. The bitmap is 8192 bits in 64-bit blocks; one block is
// redundant so advancing never clears bits still inside the window, leaving a usable
// window of kCounterWindowSize = 8192 - 64 counters behind the highest seen.
//
// Not thread-safe: the owner serialises calls (one window per keypair).
#pragma once

#include <array>
#include <cstdint>

namespace ward::wg {

inline constexpr std::uint64_t kCounterBitsTotal = 8192;
inline constexpr std::uint64_t kCounterRedundantBits = 64;
inline constexpr std::uint64_t kCounterWindowSize = kCounterBitsTotal - kCounterRedundantBits;
inline constexpr std::uint64_t kRejectAfterMessages = ~std::uint64_t{0} - kCounterWindowSize - 1;
inline constexpr std::uint64_t kRekeyAfterMessages = std::uint64_t{1} << 60;

class ReplayWindow {
 public:
  // True exactly once for each acceptable counter: counter < kRejectAfterMessages, not
  // older than the window, not seen before. Call only after the packet authenticated.
  bool validate(std::uint64_t counter);
  void reset();

 private:
  static constexpr std::uint64_t kBlocks = kCounterBitsTotal / 64;
  std::uint64_t greatest_ = 0;  // one more than the greatest accepted counter
  std::array<std::uint64_t, kBlocks> bitmap_{};
};

}  // namespace ward::wg
