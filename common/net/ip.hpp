// IP addresses, prefixes and interface addresses, IPv4 and IPv6.
//
// Contracts callers may rely on:
// - Values are immutable, cheap to copy, and have a total order: every v4 value sorts
//   before every v6 value; within a family, by address bytes (network order) and then by
//   prefix length. Equal values hash equally (std::hash specialisations below).
// - Parsing is strict and never throws. IPv4 is dotted quad only: exactly four decimal
//   octets 0..255 without leading zeros ("010.1.1.1" is refused: some parsers read it as
//   octal). IPv6 is RFC 4291 text (with an optional trailing dotted quad); zone ids
//   ("fe80::1%eth0") are refused. A v4-mapped v6 address ("::ffff:1.2.3.4") stays v6: it
//   is never silently converted to v4. Errors quote the input and say what was expected.
// - to_string() is canonical: dotted quad for v4, RFC 5952 for v6 (lower case, leading
//   zeros dropped, the longest run of two or more zero groups compressed to "::", the
//   first such run on a tie; v4-mapped addresses print as ::ffff:a.b.c.d). Parsing the
//   output gives back an equal value.
// - Prefix always has its host bits zero (parse() refuses host bits; parse_masked() and
//   make() clear them). A prefix never contains or overlaps one of the other family.
// Thread-safety: all types are values; const methods are safe to call concurrently.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"

namespace ward::net {

enum class Family { kV4, kV6 };

// "IPv4" or "IPv6", for messages.
std::string_view family_name(Family family);

class IpAddress {
 public:
  // The v4 address 0.0.0.0.
  IpAddress() = default;

  static Result<IpAddress> parse(std::string_view text);
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // Precondition: bytes.size() is 4 or 16 (anything else aborts: a programmer error).
  static IpAddress from_bytes(std::span<const std::uint8_t> bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // 4 bytes for v4, 16 for v6, network order. Valid while this object lives.
  std::span<const std::uint8_t> bytes() const {
    return {bytes_.data(), is_v4() ? std::size_t{4} : std::size_t{16}};
  }
  // Precondition: is_v4().
  std::uint32_t v4_host_order() const;
  // 32 or 128.
  int bit_width() const { return is_v4() ? 32 : 128; }
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

 private:
  // Declaration order matters for the defaulted <=>: family first, then bytes. For v4
  // only bytes_[0..3] are used; the rest stay zero so defaulted comparison is exact.
  Family family_ = Family::kV4;
  std::array<std::uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  // 0.0.0.0/0.
  Prefix() = default;

  // "10.0.0.0/8", "2001:db8::/32"; a bare address is a host prefix (/32 or /128). Host
  // bits set is an error: host bits set in "10.0.0.1/8"; did you mean 10.0.0.0/8?
  static Result<Prefix> parse(std::string_view text);
  // As parse(), but clears host bits instead of refusing them ("10.0.0.1/8" -> 10.0.0.0/8).
  static Result<Prefix> parse_masked(std::string_view text);
  // Clears host bits of address. Error if bits is outside 0..32 (v4) or 0..128 (v6).
  static Result<Prefix> make(IpAddress address, int bits);

  const IpAddress& address() const { return address_; }
  int bits() const { return bits_; }
  Family family() const { return address_.family(); }
  // False across families.
  bool contains(const IpAddress& ip) const;
  // True if every address of other is in this prefix (a prefix contains itself).
  bool contains(const Prefix& other) const;
  // True if the two share at least one address (then one contains the other).
  bool overlaps(const Prefix& other) const;
  // /32 for v4, /128 for v6.
  bool is_host() const { return bits_ == address_.bit_width(); }
  // The highest address in the prefix (the v4 broadcast address for v4).
  IpAddress last() const;
  std::string to_string() const;

  auto operator<=>(const Prefix&) const = default;
  bool operator==(const Prefix&) const = default;

 private:
  IpAddress address_;
  int bits_ = 0;
};

// An address with the prefix length of its subnet, as configured on an interface:
// "100.64.0.5/10". Host bits are kept (that is the point).
struct InterfaceAddress {
  IpAddress address;
  int bits = 0;

  static Result<InterfaceAddress> parse(std::string_view text);
  // The subnet: address with host bits cleared. Precondition: bits is 0..32 (v4) or
  // 0..128 (v6), which parse() guarantees.
  Prefix network() const;
  std::string to_string() const;

  auto operator<=>(const InterfaceAddress&) const = default;
  bool operator==(const InterfaceAddress&) const = default;
};

}  // namespace ward::net

template <>
struct std::hash<ward::net::IpAddress> {
  std::size_t operator()(const ward::net::IpAddress& ip) const noexcept;
};
template <>
struct std::hash<ward::net::Prefix> {
  std::size_t operator()(const ward::net::Prefix& p) const noexcept;
};
