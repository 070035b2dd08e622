#include "common/net/allocator.hpp"

namespace ward::net {

AddressAllocator::AddressAllocator(Prefix prefix, std::span<const IpAddress> ever_used)
    : prefix_(std::move(prefix)), base_(detail::to_u128(prefix_.address())) {
  const int host_bits = prefix_.address().bit_width() - prefix_.bits();
  const U128 last = detail::host_mask(host_bits);
  // v4 loses its broadcast address; v6 keeps its last address.
  const U128 last_usable = prefix_.family() == Family::kV4 && last > 0 ? last - 1 : last;
  if (last_usable >= kFirstUsable) {
    last_usable_ = last_usable;
  } else {
    exhausted_ = true;  // v4 /31, /32; v6 /127, /128
  }
  for (const auto& ip : ever_used) {
    U128 off;
    if (offset_of(ip, off) && usable(off)) taken_above_.insert(off);
  }
  settle();
}

void AddressAllocator::step() {
  if (cursor_ == last_usable_) {
    exhausted_ = true;
    taken_above_.clear();
  } else {
    ++cursor_;
  }
}

void AddressAllocator::settle() {
  while (!exhausted_ && !taken_above_.empty() && *taken_above_.begin() == cursor_) {
    taken_above_.erase(taken_above_.begin());
    step();
  }
}

IpAddress AddressAllocator::gateway() const {
  const U128 off = prefix_.is_host() ? 0 : 1;
  return detail::from_u128(prefix_.family(), base_ + off);
}

bool AddressAllocator::offset_of(const IpAddress& ip, U128& offset) const {
  if (!prefix_.contains(ip)) return false;
  offset = detail::to_u128(ip) - base_;
  return true;
}

Result<IpAddress> AddressAllocator::allocate() {
  if (exhausted_) {
    return Error::unavailable("overlay prefix " + prefix_.to_string() +
                              " is exhausted: no usable address is free");
  }
  const U128 off = cursor_;
  step();
  settle();
  return detail::from_u128(prefix_.family(), base_ + off);
}

Status AddressAllocator::reserve(const IpAddress& ip) {
  U128 off;
  if (!offset_of(ip, off)) {
    return Error::invalid_argument("cannot reserve " + ip.to_string() +
                                   ": it is outside the overlay prefix " + prefix_.to_string());
  }
  if (!usable(off)) {
    const char* why = off == 0   ? "the network address"
                      : off == 1 ? "reserved for the controller/gateway"
                                 : "the broadcast address";
    return Error::invalid_argument("cannot reserve " + ip.to_string() + ": it is " + why + " of " +
                                   prefix_.to_string());
  }
  if (exhausted_ || off < cursor_ || !taken_above_.insert(off).second) {
    return Error::already_exists("cannot reserve " + ip.to_string() + ": it is already allocated");
  }
  settle();
  return ok();
}

bool AddressAllocator::is_free(const IpAddress& ip) const {
  U128 off;
  return offset_of(ip, off) && usable(off) && !exhausted_ && off >= cursor_ &&
         !taken_above_.contains(off);
}

}  // namespace ward::net
