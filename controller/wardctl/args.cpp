#include "controller/wardctl/args.hpp"

#include <charconv>

namespace ward::wardctl {
namespace {

template <class T>
bool to_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Status check_prefixed(std::string_view text, std::string_view prefix, std::string_view what) {
  const auto bad = [&] {
    return Error::invalid_argument(std::string(what) + " " + quote(text) + ": expected " +
                                   std::string(prefix) +
                                   "NAME with NAME of 1 to 63 lower-case letters, digits or '-'");
  };
  if (!text.starts_with(prefix)) return bad();
  const std::string_view name = text.substr(prefix.size());
  if (name.empty() || name.size() > 63) return bad();
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad();
  }
  return ok();
}

CLI::Validator wrap(Status (*check)(std::string_view), std::string name) {
  return CLI::Validator(
      [check](std::string& value) -> std::string {
        Status s = check(value);
        return s ? std::string() : s.error().message();
      },
      "", std::move(name));
}

}  // namespace

Result<std::int64_t> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return Error::invalid_argument("duration " + quote(text) +
                                   ": expected a number with s, m, h or d (e.g. 90m), "
                                   "from 1 s to 365 d");
  };
  std::int64_t unit = 1;
  std::string_view num = text;
  if (!num.empty()) {
    switch (num.back()) {
      case 's':
        unit = 1;
        num.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        num.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        num.remove_suffix(1);
        break;
      case 'd':
        unit = 86400;
        num.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::int64_t n = 0;
  if (!to_number(num, n) || n <= 0 || n > 365 * 86400) return bad();
  const std::int64_t s = n * unit;
  if (s > 365 * 86400) return bad();
  return s;
}

Result<int> parse_proto(std::string_view text) {
  if (text == "tcp") return 6;
  if (text == "udp") return 17;
  if (text == "icmp") return 1;
  int n = 0;
  if (to_number(text, n) && n >= 0 && n <= 255) return n;
  return Error::invalid_argument("protocol " + quote(text) +
                                 ": expected tcp, udp, icmp or a number 0..255");
}

Result<DstPort> parse_dst_port(std::string_view text, bool needs_port) {
  const auto bad = [&](std::string_view why) {
    return Error::invalid_argument("destination " + quote(text) + ": " + std::string(why) +
                                   "; expected DST:PORT ([IPv6]:PORT for an IPv6 address)");
  };
  DstPort out;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("unterminated [");
    out.dst = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("unexpected text after ]");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    // "tag:ehr" has a colon but no port; a port is the part after the last colon when it
    // is all digits (or when the text has two colons, as in "tag:ehr:443").
    if (colon != std::string_view::npos) {
      const std::string_view tail = text.substr(colon + 1);
      bool digits = !tail.empty();
      for (char c : tail)
        digits = digits && c >= '0' && c <= '9';
      if (digits || text.find(':') != colon) {
        out.dst = std::string(text.substr(0, colon));
        port_text = tail;
        has_port = true;
      }
    }
    if (!has_port) out.dst = std::string(text);
  }
  if (out.dst.empty()) return bad("empty destination");
  if (has_port) {
    unsigned p = 0;
    if (!to_number(port_text, p) || p > 65535) return bad("the port must be 0..65535");
    out.port = static_cast<std::uint16_t>(p);
  } else if (needs_port) {
    return bad("missing port");
  }
  return out;
}

Status check_tag(std::string_view tag) {
  return check_prefixed(tag, "tag:", "tag");
}
Status check_group(std::string_view group) {
  return check_prefixed(group, "group:", "group");
}

Status check_email(std::string_view email) {
  const std::size_t at = email.find('@');
  bool good = at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
              email.find('@', at + 1) == std::string_view::npos && email.size() <= 254;
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '/') good = false;
  }
  if (good) return ok();
  return Error::invalid_argument("email " + quote(email) + ": expected name@domain");
}

Status check_role(std::string_view role) {
  if (role == "owner" || role == "admin" || role == "auditor" || role == "member") return ok();
  return Error::invalid_argument("role " + quote(role) +
                                 ": expected one of owner, admin, auditor, member");
}

CLI::Validator tag_validator() {
  return wrap(&check_tag, "TAG");
}
CLI::Validator group_validator() {
  return wrap(&check_group, "GROUP");
}
CLI::Validator email_validator() {
  return wrap(&check_email, "EMAIL");
}
CLI::Validator role_validator() {
  return wrap(&check_role, "ROLE");
}
CLI::Validator duration_validator() {
  return wrap(
      [](std::string_view s) -> Status {
        auto r = parse_duration(s);
        return r ? ok() : Status(r.error());
      },
      "DURATION");
}
CLI::Validator proto_validator() {
  return wrap(
      [](std::string_view s) -> Status {
        auto r = parse_proto(s);
        return r ? ok() : Status(r.error());
      },
      "PROTO");
}

}  // namespace ward::wardctl
