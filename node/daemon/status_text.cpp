#include "node/daemon/status_text.hpp"

#include <ctime>
#include <sstream>

namespace ward::node::daemon {
namespace {

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

std::string ago(std::int64_t sec) {
  if (sec <= 0) return "never";
  std::int64_t d = static_cast<std::int64_t>(std::time(nullptr)) - sec;
  if (d < 0) d = 0;
  return std::to_string(d) + "s ago";
}

nlohmann::json member(const nlohmann::json& j, const char* key, nlohmann::json fallback) {
  if (j.is_object() && j.contains(key) && j[key].type() == fallback.type()) return j[key];
  return fallback;
}

}  // namespace

std::string render_status_text(const nlohmann::json& s) {
  std::ostringstream o;
  const nlohmann::json dev = member(s, "device", nlohmann::json::object());
  o << "device:      " << str(dev, "name") << " (" << str(dev, "id") << ")\n";
  o << "interface:   " << str(dev, "interface");
  for (const auto& a : member(dev, "addresses", nlohmann::json::array()))
    if (a.is_string()) o << " " << a.get<std::string>();
  if (str(dev, "wg_backend") != "-") o << " (WireGuard: " << str(dev, "wg_backend") << ")";
  o << "\n";
  o << "state:       " << str(s, "state") << "\n";
  const nlohmann::json c = member(s, "controller", nlohmann::json::object());
  o << "controller:  " << str(c, "url")
    << (member(c, "connected", false).get<bool>() ? " connected" : " disconnected")
    << ", netmap serial " << str(c, "last_serial") << "\n";
  if (str(c, "last_error") != "-") o << "  last error: " << str(c, "last_error") << "\n";
  const nlohmann::json cert = member(s, "certificate", nlohmann::json::object());
  o << "certificate: expires " << str(cert, "not_after") << ", renews " << str(cert, "renew_at")
    << "\n";
  const nlohmann::json f = member(s, "filter", nlohmann::json::object());
  o << "filter:      " << str(f, "accept_rules") << " accept rules, " << str(f, "dropped_packets")
    << " packets dropped\n";
  o << "posture:    ";
  const nlohmann::json posture = member(s, "posture", nlohmann::json::object());
  for (const auto& [k, v] : posture.items())
    o << " " << k << "=" << v.dump();
  o << "\n";
  const nlohmann::json peers = member(s, "peers", nlohmann::json::array());
  o << "peers:       " << peers.size() << "\n";
  for (const auto& p : peers) {
    o << "  " << str(p, "name") << " " << str(p, "public_key") << "\n"
      << "    endpoint " << str(p, "endpoint") << ", handshake "
      << ago(p.contains("last_handshake") && p["last_handshake"].is_number_integer()
                 ? p["last_handshake"].get<std::int64_t>()
                 : 0)
      << ", rx " << str(p, "rx_bytes") << " B, tx " << str(p, "tx_bytes") << " B\n";
  }
  return o.str();
}

}  // namespace ward::node::daemon
