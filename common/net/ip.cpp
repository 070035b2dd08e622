#include "common/net/ip.hpp"

#include <cstdio>
#include <cstdlib>

namespace ward::net {
namespace {

constexpr std::string_view kExpectV4 = "expected a dotted quad like 192.0.2.1";
constexpr std::string_view kExpectV6 = "expected an IPv6 address like 2001:db8::1";

Error bad_v4(std::string_view text, std::string_view why) {
  std::string msg = "invalid IPv4 address " + quote(text) + ": ";
  msg.append(why);
  return Error::invalid_argument(std::move(msg));
}

Error bad_v6(std::string_view text, std::string_view why) {
  std::string msg = "invalid IPv6 address " + quote(text) + ": ";
  msg.append(why);
  return Error::invalid_argument(std::move(msg));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a dotted quad into out[0..3]. `whole` is the full user input, for messages.
Status parse_dotted_quad(std::string_view s, std::string_view whole, std::uint8_t* out) {
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (pos >= s.size() || s[pos] != '.') {
        return bad_v4(whole, std::string(kExpectV4) + " (four decimal octets 0-255)");
      }
      ++pos;
    }
    std::size_t start = pos;
    while (pos < s.size() && is_digit(s[pos]))
      ++pos;
    std::string_view octet = s.substr(start, pos - start);
    if (octet.empty()) {
      return bad_v4(whole, std::string(kExpectV4) + " (four decimal octets 0-255)");
    }
    if (octet.size() > 1 && octet[0] == '0') {
      return bad_v4(whole, "octet " + quote(octet) +
                               " has a leading zero, which is ambiguous (octal or decimal?); " +
                               std::string(kExpectV4));
    }
    if (octet.size() > 3) {
      return bad_v4(whole, "octet " + quote(octet) + " is out of range; expected 0-255");
    }
    int v = 0;
    for (char c : octet)
      v = v * 10 + (c - '0');
    if (v > 255) {
      return bad_v4(whole, "octet " + quote(octet) + " is out of range; expected 0-255");
    }
    out[i] = static_cast<std::uint8_t>(v);
  }
  if (pos != s.size()) {
    return bad_v4(whole, std::string(kExpectV4) + " (four decimal octets 0-255)");
  }
  return ok();
}

Result<IpAddress> parse_v4(std::string_view text) {
  std::array<std::uint8_t, 4> b{};
  WARD_RETURN_IF_ERROR(parse_dotted_quad(text, text, b.data()));
  return IpAddress::from_bytes(b);
}

Result<IpAddress> parse_v6(std::string_view text) {
  if (text.find('%') != std::string_view::npos) {
    return bad_v6(text, "zone ids (\"%...\") are not supported; " + std::string(kExpectV6));
  }
  // Groups before and after "::" (if any), as 16-bit values; a trailing dotted quad adds
  // two groups.
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  int n_head = 0;
  int n_tail = 0;
  bool compressed = false;
  std::size_t pos = 0;
  const std::size_t n = text.size();

  if (n >= 2 && text[0] == ':' && text[1] == ':') {
    compressed = true;
    pos = 2;
  } else if (n >= 1 && text[0] == ':') {
    return bad_v6(text, "a single leading ':' is not allowed; " + std::string(kExpectV6));
  }
  bool expect_group = !compressed;  // after a single ':' a group must follow
  while (pos < n) {
    std::uint16_t* groups = compressed ? tail.data() : head.data();
    int& count = compressed ? n_tail : n_head;
    if (n_head + n_tail >= 8) {
      return bad_v6(text, "too many groups; " + std::string(kExpectV6));
    }
    // A group: hex digits; or a dotted quad if a '.' appears before the next ':'.
    std::size_t end = pos;
    while (end < n && text[end] != ':')
      ++end;
    std::string_view token = text.substr(pos, end - pos);
    if (token.find('.') != std::string_view::npos) {
      if (end != n) {
        return bad_v6(text, "an embedded IPv4 address must come last; " + std::string(kExpectV6));
      }
      if (n_head + n_tail > 6) {
        return bad_v6(text, "too many groups; " + std::string(kExpectV6));
      }
      std::uint8_t q[4];
      Status st = parse_dotted_quad(token, token, q);
      if (!st) {
        return bad_v6(text, "bad embedded IPv4 address: " + st.error().message());
      }
      groups[count++] = static_cast<std::uint16_t>((q[0] << 8) | q[1]);
      groups[count++] = static_cast<std::uint16_t>((q[2] << 8) | q[3]);
      pos = end;
      expect_group = false;
      break;
    }
    if (token.empty() || token.size() > 4) {
      return bad_v6(text, "each group must be 1-4 hex digits; " + std::string(kExpectV6));
    }
    unsigned v = 0;
    for (char c : token) {
      int h = hex_value(c);
      if (h < 0) {
        return bad_v6(text, "unexpected character " + quote(std::string_view(&c, 1)) + "; " +
                                std::string(kExpectV6));
      }
      v = (v << 4) | static_cast<unsigned>(h);
    }
    groups[count++] = static_cast<std::uint16_t>(v);
    pos = end;
    expect_group = false;
    if (pos == n) break;
    // pos is at ':'.
    if (pos + 1 < n && text[pos + 1] == ':') {
      if (compressed) {
        return bad_v6(text, "\"::\" may appear only once; " + std::string(kExpectV6));
      }
      compressed = true;
      pos += 2;
    } else {
      pos += 1;
      expect_group = true;
    }
  }
  if (expect_group) {
    return bad_v6(text, "ends with a single ':'; " + std::string(kExpectV6));
  }
  if (pos != n) {
    return bad_v6(text, std::string(kExpectV6));
  }
  const int total = n_head + n_tail;
  if (compressed ? total > 7 : total != 8) {
    return bad_v6(text, compressed ? "too many groups for \"::\"; " + std::string(kExpectV6)
                                   : "expected 8 groups or \"::\"; " + std::string(kExpectV6));
  }
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < n_head; ++i) {
    b[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    b[2 * i + 1] = static_cast<std::uint8_t>(head[i]);
  }
  for (int i = 0; i < n_tail; ++i) {
    int g = 8 - n_tail + i;
    b[2 * g] = static_cast<std::uint8_t>(tail[i] >> 8);
    b[2 * g + 1] = static_cast<std::uint8_t>(tail[i]);
  }
  return IpAddress::v6(b);
}

// Clears every bit at position >= bits (counting from the most significant).
IpAddress mask(const IpAddress& ip, int bits) {
  std::array<std::uint8_t, 16> b{};
  auto src = ip.bytes();
  for (std::size_t i = 0; i < src.size(); ++i) {
    int keep = bits - static_cast<int>(i) * 8;
    if (keep >= 8) {
      b[i] = src[i];
    } else if (keep > 0) {
      b[i] = static_cast<std::uint8_t>(src[i] & (0xff << (8 - keep)));
    }
  }
  return IpAddress::from_bytes(std::span<const std::uint8_t>(b.data(), src.size()));
}

// Parses the decimal length after '/', 0..max, no sign, no leading zeros.
Result<int> parse_bits(std::string_view digits, std::string_view whole, int max) {
  bool good = !digits.empty() && digits.size() <= 3 && !(digits.size() > 1 && digits[0] == '0');
  int v = 0;
  for (char c : digits) {
    if (!is_digit(c)) {
      good = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!good || v > max) {
    return Error::invalid_argument("invalid prefix length in " + quote(whole) +
                                   ": expected a decimal number 0-" + std::to_string(max));
  }
  return v;
}

struct AddressAndBits {
  IpAddress address;
  int bits;
  bool had_slash;
};

Result<AddressAndBits> split_prefix(std::string_view text) {
  std::size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  auto addr = IpAddress::parse(addr_text);
  if (!addr) {
    if (slash == std::string_view::npos) return std::move(addr).error();
    return std::move(addr).error().context("in prefix " + quote(text));
  }
  if (slash == std::string_view::npos) return AddressAndBits{*addr, addr->bit_width(), false};
  WARD_ASSIGN_OR_RETURN(int bits, parse_bits(text.substr(slash + 1), text, addr->bit_width()));
  return AddressAndBits{*addr, bits, true};
}

}  // namespace

std::string_view family_name(Family family) {
  return family == Family::kV4 ? "IPv4" : "IPv6";
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) {
    return Error::invalid_argument(
        "invalid IP address \"\": expected an IPv4 address like 192.0.2.1 or an IPv6 "
        "address like 2001:db8::1");
  }
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  if (text.find('%') != std::string_view::npos || text.find('.') == std::string_view::npos) {
    return Error::invalid_argument("invalid IP address " + quote(text) +
                                   ": expected an IPv4 address like 192.0.2.1 or an IPv6 "
                                   "address like 2001:db8::1");
  }
  return parse_v4(text);
}

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress ip;
  ip.family_ = Family::kV4;
  ip.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  ip.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  ip.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  ip.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return ip;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress ip;
  ip.family_ = Family::kV6;
  ip.bytes_ = bytes;
  return ip;
}

IpAddress IpAddress::from_bytes(std::span<const std::uint8_t> bytes) {
  IpAddress ip;
  if (bytes.size() == 4) {
    ip.family_ = Family::kV4;
  } else if (bytes.size() == 16) {
    ip.family_ = Family::kV6;
  } else {
    std::fprintf(stderr, "ward: IpAddress::from_bytes: %zu bytes (need 4 or 16)\n", bytes.size());
    std::abort();
  }
  for (std::size_t i = 0; i < bytes.size(); ++i)
    ip.bytes_[i] = bytes[i];
  return ip;
}

std::uint32_t IpAddress::v4_host_order() const {
  if (!is_v4()) {
    std::fprintf(stderr, "ward: IpAddress::v4_host_order called on an IPv6 address\n");
    std::abort();
  }
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]};
}

std::string IpAddress::to_string() const {
  char buf[64];
  if (is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
    return buf;
  }
  std::array<unsigned, 8> g{};
  for (int i = 0; i < 8; ++i)
    g[i] = (unsigned{bytes_[2 * i]} << 8) | bytes_[2 * i + 1];
  // RFC 5952 section 5: ::ffff:0:0/96 is written with a dotted quad.
  bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
  int n_groups = mapped ? 6 : 8;
  // RFC 5952 4.2: compress the longest run (>= 2) of zero groups; the first on a tie.
  int best_start = -1;
  int best_len = 1;
  for (int i = 0; i < n_groups;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < n_groups && g[j] == 0)
      ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < n_groups;) {
    if (i == best_start) {
      out += "::";
      i += best_len;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    out += buf;
    ++i;
  }
  if (mapped) {
    if (out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes_[12], bytes_[13], bytes_[14], bytes_[15]);
    out += buf;
  }
  return out;
}

Result<Prefix> Prefix::parse(std::string_view text) {
  WARD_ASSIGN_OR_RETURN(AddressAndBits ab, split_prefix(text));
  IpAddress masked = mask(ab.address, ab.bits);
  if (masked != ab.address) {
    Prefix suggestion;
    suggestion.address_ = masked;
    suggestion.bits_ = ab.bits;
    return Error::invalid_argument("host bits set in " + quote(text) + "; did you mean " +
                                   suggestion.to_string() + "?");
  }
  Prefix p;
  p.address_ = masked;
  p.bits_ = ab.bits;
  return p;
}

Result<Prefix> Prefix::parse_masked(std::string_view text) {
  WARD_ASSIGN_OR_RETURN(AddressAndBits ab, split_prefix(text));
  return make(ab.address, ab.bits);
}

Result<Prefix> Prefix::make(IpAddress address, int bits) {
  if (bits < 0 || bits > address.bit_width()) {
    return Error::invalid_argument("invalid prefix length " + std::to_string(bits) + " for " +
                                   std::string(family_name(address.family())) + " address " +
                                   address.to_string() + ": expected 0-" +
                                   std::to_string(address.bit_width()));
  }
  Prefix p;
  p.address_ = mask(address, bits);
  p.bits_ = bits;
  return p;
}

bool Prefix::contains(const IpAddress& ip) const {
  return ip.family() == family() && mask(ip, bits_) == address_;
}

bool Prefix::contains(const Prefix& other) const {
  return other.family() == family() && other.bits_ >= bits_ && contains(other.address_);
}

bool Prefix::overlaps(const Prefix& other) const {
  return contains(other) || other.contains(*this);
}

IpAddress Prefix::last() const {
  std::array<std::uint8_t, 16> b{};
  auto src = address_.bytes();
  for (std::size_t i = 0; i < src.size(); ++i) {
    int keep = bits_ - static_cast<int>(i) * 8;
    if (keep >= 8) {
      b[i] = src[i];
    } else if (keep <= 0) {
      b[i] = 0xff;
    } else {
      b[i] = static_cast<std::uint8_t>(src[i] | (0xff >> keep));
    }
  }
  return IpAddress::from_bytes(std::span<const std::uint8_t>(b.data(), src.size()));
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(bits_);
}

Result<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
  if (text.find('/') == std::string_view::npos) {
    return Error::invalid_argument("invalid interface address " + quote(text) +
                                   ": expected an address with a prefix length, like "
                                   "100.64.0.5/10 or fd00::5/64");
  }
  WARD_ASSIGN_OR_RETURN(AddressAndBits ab, split_prefix(text));
  return InterfaceAddress{ab.address, ab.bits};
}

Prefix InterfaceAddress::network() const {
  auto p = Prefix::make(address, bits);
  if (!p) {
    std::fprintf(stderr, "ward: InterfaceAddress::network: %s\n", p.error().message().c_str());
    std::abort();
  }
  return *p;
}

std::string InterfaceAddress::to_string() const {
  return address.to_string() + "/" + std::to_string(bits);
}

}  // namespace ward::net

namespace {
std::size_t hash_bytes(std::span<const std::uint8_t> bytes, std::size_t seed) {
  // FNV-1a, 64-bit: addresses are not attacker-chosen keys for a DoS on these tables in
  // any Ward use; callers that need that should use a keyed hash.
  std::uint64_t h = 1469598103934665603ull ^ seed;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}
}  // namespace

std::size_t std::hash<ward::net::IpAddress>::operator()(
    const ward::net::IpAddress& ip) const noexcept {
  return hash_bytes(ip.bytes(), ip.is_v4() ? 4 : 6);
}

std::size_t std::hash<ward::net::Prefix>::operator()(const ward::net::Prefix& p) const noexcept {
  return hash_bytes(p.address().bytes(),
                    static_cast<std::size_t>(p.bits()) * 131 + (p.address().is_v4() ? 4 : 6));
}
