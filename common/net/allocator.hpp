// AddressAllocator: hands out stable overlay addresses from one prefix.
//
// Usable addresses. Counting offsets from the network address of the prefix:
//   offset 0     the network address            never handed out
//   offset 1     the first address (.1, ::1)    reserved for the controller/gateway
//   last         the v4 broadcast address        never handed out (v6 has no broadcast)
// everything else is usable. So a v4 /30 has exactly one usable address (.2); v4 /31 and
// /32 and v6 /127 and /128 have none (allocate() reports exhaustion at once); a v6 /126
// has two (::2 and ::3).
//
// Contracts:
// - Never reuse: the caller passes every address ever allocated from this prefix (from
//   the store, including those of deleted devices); none of them is handed out again.
//   Addresses in that list outside the prefix, or in the non-usable slots above, are
//   ignored: they cannot collide with anything this allocator hands out.
// - Deterministic: allocate() returns the lowest usable address that is neither in the
//   initial list nor previously allocated or reserved. The same inputs give the same
//   sequence, on every machine.
// - allocate() is amortised O(log n) (a cursor below which every address is taken, plus
//   an ordered set of taken addresses above the cursor); memory is proportional to the
//   number of taken addresses above the cursor, not to the prefix size.
// Persisting the result is the caller's job: allocate first, then store; if the store
// write fails, the address is still consumed here (fail closed: possibly skipping an
// address is harmless, reusing one is not).
// Thread-safety: none; the owner serialises calls.
#pragma once

#include <cstdint>
#include <set>
#include <span>

#include "common/base/result.hpp"
#include "common/net/ip.hpp"
#include "common/net/ip_int.hpp"

namespace ward::net {

class AddressAllocator {
 public:
  // ever_used: every address ever allocated from `prefix`, in any order, duplicates allowed.
  AddressAllocator(Prefix prefix, std::span<const IpAddress> ever_used);

  const Prefix& prefix() const { return prefix_; }
  // The reserved controller/gateway address (offset 1). For prefixes too small to have
  // one (v4 /32, v6 /128) this is the network address itself.
  IpAddress gateway() const;

  // The lowest free usable address, now marked taken. kUnavailable when none is left:
  // "overlay prefix 100.64.0.0/30 is exhausted: no usable address is free".
  Result<IpAddress> allocate();

  // Marks a specific address taken (importing a device with a fixed address). Errors:
  // kInvalidArgument if it is outside the prefix or not usable (network, gateway,
  // broadcast); kAlreadyExists if it is already taken.
  Status reserve(const IpAddress& ip);

  // True if ip is in the prefix, usable, and not taken.
  bool is_free(const IpAddress& ip) const;

 private:
  using U128 = detail::U128;
  // Offset of ip from the network address, if ip is in the prefix.
  bool offset_of(const IpAddress& ip, U128& offset) const;
  bool usable(U128 offset) const { return offset >= kFirstUsable && offset <= last_usable_; }
  // Moves the cursor past the offset it points at (which has just been taken).
  void step();
  // Moves the cursor past taken offsets, restoring the invariant below.
  void settle();

  static constexpr U128 kFirstUsable = 2;

  Prefix prefix_;
  U128 base_ = 0;         // network address as an integer
  U128 last_usable_ = 0;  // highest usable offset (0 when there is none)
  // Invariant: every usable offset below cursor_ is taken; unless exhausted_, cursor_ is
  // usable and free, and taken_above_ holds exactly the taken offsets above it.
  U128 cursor_ = kFirstUsable;
  bool exhausted_ = false;
  std::set<U128> taken_above_;
};

}  // namespace ward::net
