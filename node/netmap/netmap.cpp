#include "node/netmap/netmap.hpp"

#include <charconv>

namespace ward::node {

Result<Endpoint> Endpoint::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Error::invalid_argument("expected an endpoint IP:PORT or [IPv6]:PORT, " +
                                   std::string(why) + ", got " + quote(text));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("bracketed IPv6 must be followed by :PORT");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing :PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("IPv6 must be in brackets");
  }
  auto ip = net::IpAddress::parse(host);
  if (!ip) return bad("not an IP literal");
  if (text.front() == '[' && !ip->is_v6()) return bad("brackets are for IPv6 only");
  unsigned value = 0;
  if (port.empty() || port.size() > 5 || port[0] == '0' || port[0] == '+')
    return bad("port must be 1..65535");
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || ptr != port.data() + port.size() || value < 1 || value > 65535)
    return bad("port must be 1..65535");
  return Endpoint{*ip, static_cast<std::uint16_t>(value)};
}

std::string Endpoint::to_string() const {
  if (ip.is_v6()) return "[" + ip.to_string() + "]:" + std::to_string(port);
  return ip.to_string() + ":" + std::to_string(port);
}

std::string_view terminal_kind_name(TerminalKind kind) {
  switch (kind) {
    case TerminalKind::kRevoked:
      return "revoked";
    case TerminalKind::kQuarantined:
      return "quarantined";
    case TerminalKind::kExpired:
      return "expired";
  }
  return "revoked";
}

}  // namespace ward::node
