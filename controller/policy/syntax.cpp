#include "controller/policy/syntax.hpp"

#include <charconv>
#include <cstdio>

namespace ward::policy {

namespace {

Result<std::uint16_t> parse_port(std::string_view s, std::string_view whole) {
  unsigned v = 0;
  if (s.empty() || s.size() > 5) {
    return Error::invalid_argument("bad port " + quote(s) + " in " + quote(whole) +
                                   "; expected a number 0-65535");
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) {
    return Error::invalid_argument("bad port " + quote(s) + " in " + quote(whole) +
                                   "; expected a number 0-65535");
  }
  return static_cast<std::uint16_t>(v);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Result<PortSet> parse_ports(std::string_view text) {
  if (text == "*") return PortSet{{0, 65535}};
  PortSet out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view part = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.empty()) {
      return Error::invalid_argument("empty entry in port list " + quote(text) +
                                     "; expected *, a port, a range a-b or a comma list");
    }
    std::size_t dash = part.find('-');
    if (dash == std::string_view::npos) {
      WARD_ASSIGN_OR_RETURN(std::uint16_t p, parse_port(part, text));
      out.push_back({p, p});
    } else {
      WARD_ASSIGN_OR_RETURN(std::uint16_t a, parse_port(part.substr(0, dash), text));
      WARD_ASSIGN_OR_RETURN(std::uint16_t b, parse_port(part.substr(dash + 1), text));
      if (a > b) {
        return Error::invalid_argument("port range " + quote(part) +
                                       " runs backwards; expected low-high");
      }
      out.push_back({a, b});
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return normalize_ports(std::move(out));
}

Result<ProtoSet> parse_protocol(std::string_view text) {
  ProtoSet s;
  struct Named {
    std::string_view name;
    int a;
    int b;
  };
  static constexpr Named kNames[] = {{"tcp", kProtoTcp, -1},
                                     {"udp", kProtoUdp, -1},
                                     {"icmp", kProtoIcmp, kProtoIcmpV6},
                                     {"ipv6-icmp", kProtoIcmpV6, -1},
                                     {"icmpv6", kProtoIcmpV6, -1},
                                     {"sctp", kProtoSctp, -1},
                                     {"igmp", 2, -1},
                                     {"ipv4", 4, -1},
                                     {"ip-in-ip", 4, -1},
                                     {"egp", 8, -1},
                                     {"igp", 9, -1},
                                     {"gre", 47, -1},
                                     {"esp", 50, -1},
                                     {"ah", 51, -1}};
  for (const Named& n : kNames) {
    if (text == n.name) {
      s.set(static_cast<std::size_t>(n.a));
      if (n.b >= 0) s.set(static_cast<std::size_t>(n.b));
      return s;
    }
  }
  if (all_digits(text) && text.size() <= 3) {
    unsigned v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    if (v <= 255) {
      s.set(v);
      return s;
    }
  }
  return Error::invalid_argument("unknown protocol " + quote(text) +
                                 "; expected tcp, udp, icmp, ipv6-icmp, sctp, gre, esp, ah, "
                                 "igmp or an IANA protocol number 0-255");
}

namespace {

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<Time> parse_rfc3339(std::string_view t) {
  auto bad = [&](std::string_view why) {
    return Error::invalid_argument("bad time " + quote(t) + ": " + std::string(why) +
                                   "; expected RFC 3339 like 2026-12-01T17:00:00Z");
  };
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > t.size() || !all_digits(t.substr(at, len))) return false;
    out = 0;
    for (std::size_t i = 0; i < len; ++i)
      out = out * 10 + (t[at + i] - '0');
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || t.size() < 20 || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' ||
      !num(8, 2, d) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !num(11, 2, h) ||
      t[13] != ':' || !num(14, 2, mi) || t[16] != ':' || !num(17, 2, s)) {
    return bad("malformed");
  }
  if (mo < 1 || mo > 12) return bad("month out of range");
  if (d < 1 || d > days_in_month(y, mo)) return bad("day out of range");
  if (h > 23 || mi > 59 || s > 60) return bad("time of day out of range");
  if (s == 60) s = 59;  // a leap second expires with the second before it
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    std::size_t st = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9')
      ++i;
    if (i == st) return bad("empty fraction");
  }
  int offset_min = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' || !num(i + 4, 2, om) ||
        oh > 23 || om > 59) {
      return bad("malformed UTC offset");
    }
    offset_min = (oh * 60 + om) * (t[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return bad("missing time zone (Z or +hh:mm)");
  }
  if (i != t.size()) return bad("trailing characters");
  using namespace std::chrono;
  sys_days day = year_month_day{year{y}, month{static_cast<unsigned>(mo)},
                                std::chrono::day{static_cast<unsigned>(d)}};
  return Time{day} + hours{h} + minutes{mi} + seconds{s} - minutes{offset_min};
}

std::string format_rfc3339(Time t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<seconds> tod{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  return buf;
}

}  // namespace ward::policy
