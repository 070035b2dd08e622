#include "tests/support/wg_show.hpp"

#include <charconv>
#include <sstream>

namespace ward::testing {
namespace {

bool is_base64_key(std::string_view k) {
  if (k.size() != 44 || k[43] != '=') return false;
  for (std::size_t i = 0; i < 43; ++i) {
    const char c = k[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

template <class T>
Result<T> parse_number(std::string_view s, std::string_view what) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return Error::invalid_argument(std::string(what) + ": expected a number, got " + quote(s));
  return v;
}

Result<std::string> run_wg_show(const ShellRunner& run, const std::string& iface,
                                const std::string& field) {
  const CommandResult r = run("wg show " + shell_quote(iface) + " " + field);
  if (!r.ok())
    return Error::unavailable("wg show " + iface + " " + field + " exited with " +
                              std::to_string(r.exit_code) + ": " + quote(r.output));
  return r.output;
}

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_wg_show_field(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    const std::string_view key = line.substr(0, tab);
    if (!is_base64_key(key))
      return Error::invalid_argument("wg show: expected a line starting with a public key, got " +
                                     quote(line));
    std::string value = tab == std::string_view::npos ? "" : std::string(line.substr(tab + 1));
    if (!out.emplace(std::string(key), std::move(value)).second)
      return Error::invalid_argument("wg show: peer listed twice: " + quote(key));
  }
  return out;
}

Result<std::map<std::string, WgShowPeer>> wg_show_peers(const ShellRunner& run,
                                                        const std::string& iface) {
  auto field = [&](const std::string& name) -> Result<std::map<std::string, std::string>> {
    WARD_ASSIGN_OR_RETURN(const std::string text, run_wg_show(run, iface, name));
    return parse_wg_show_field(text);
  };
  std::map<std::string, WgShowPeer> peers;
  WARD_ASSIGN_OR_RETURN(auto keys, field("peers"));
  for (const auto& [k, v] : keys)
    peers[k];
  WARD_ASSIGN_OR_RETURN(auto ips, field("allowed-ips"));
  WARD_ASSIGN_OR_RETURN(auto endpoints, field("endpoints"));
  WARD_ASSIGN_OR_RETURN(auto handshakes, field("latest-handshakes"));
  WARD_ASSIGN_OR_RETURN(auto transfer, field("transfer"));
  WARD_ASSIGN_OR_RETURN(auto keepalives, field("persistent-keepalive"));
  // A peer can appear or vanish between the commands: only peers in every listing count.
  for (auto it = peers.begin(); it != peers.end();) {
    const std::string& k = it->first;
    if (!ips.contains(k) || !endpoints.contains(k) || !handshakes.contains(k) ||
        !transfer.contains(k) || !keepalives.contains(k)) {
      it = peers.erase(it);
      continue;
    }
    WgShowPeer& p = it->second;
    if (ips[k] != "(none)") {
      std::istringstream in(ips[k]);
      std::string ip;
      while (in >> ip)
        p.allowed_ips.push_back(ip);
    }
    if (endpoints[k] != "(none)") p.endpoint = endpoints[k];
    WARD_ASSIGN_OR_RETURN(p.latest_handshake,
                          parse_number<std::int64_t>(handshakes[k], "latest-handshakes"));
    const std::string& t = transfer[k];
    const std::size_t tab = t.find('\t');
    if (tab == std::string::npos)
      return Error::invalid_argument("wg show transfer: expected \"rx\\ttx\", got " + quote(t));
    WARD_ASSIGN_OR_RETURN(p.rx_bytes,
                          parse_number<std::uint64_t>(std::string_view(t).substr(0, tab), "rx"));
    WARD_ASSIGN_OR_RETURN(p.tx_bytes,
                          parse_number<std::uint64_t>(std::string_view(t).substr(tab + 1), "tx"));
    if (keepalives[k] != "off") {
      WARD_ASSIGN_OR_RETURN(p.persistent_keepalive,
                            parse_number<std::uint16_t>(keepalives[k], "persistent-keepalive"));
    }
    ++it;
  }
  return peers;
}

Result<WgShowDevice> wg_show_device(const ShellRunner& run, const std::string& iface) {
  WgShowDevice d;
  WARD_ASSIGN_OR_RETURN(const std::string key_text, run_wg_show(run, iface, "public-key"));
  const std::string_view key = trim_newline(key_text);
  if (key != "(none)") {
    if (!is_base64_key(key))
      return Error::invalid_argument("wg show public-key: expected a key, got " + quote(key));
    d.public_key = std::string(key);
  }
  WARD_ASSIGN_OR_RETURN(const std::string port_text, run_wg_show(run, iface, "listen-port"));
  WARD_ASSIGN_OR_RETURN(d.listen_port,
                        parse_number<std::uint16_t>(trim_newline(port_text), "listen-port"));
  return d;
}

}  // namespace ward::testing
