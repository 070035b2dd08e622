#include "controller/publish/wire.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

#include <nlohmann/json.hpp>

#include "controller/policy/policy.hpp"

namespace ward::publish {
namespace {

using Json = nlohmann::ordered_json;

bool same_src(const WireRule& a, const WireRule& b) {
  return a.src == b.src || a.src->prefixes == b.src->prefixes;
}

bool rule_less(const WireRule& a, const WireRule& b) {
  if (!same_src(a, b)) return a.src->prefixes < b.src->prefixes;
  return std::tie(a.proto, a.ports) < std::tie(b.proto, b.ports);
}

bool rule_equal(const WireRule& a, const WireRule& b) {
  return same_src(a, b) && a.proto == b.proto && a.ports == b.ports;
}

Json prefixes(const std::vector<net::Prefix>& v) {
  Json a = Json::array();
  for (const net::Prefix& p : v)
    a.push_back(p.to_string());
  return a;
}

Json self_json(const policy::SelfInfo& s) {
  Json j;
  j["id"] = s.id;
  j["name"] = s.name;
  j["user"] = s.user.empty() ? Json(nullptr) : Json(s.user);
  j["tags"] = s.tags;
  j["addresses"] = prefixes(s.addresses);
  return j;
}

Json peer_json(const policy::PeerInfo& p, std::uint16_t keepalive) {
  Json j;
  j["id"] = p.id;
  j["name"] = p.name;
  j["public_key"] = p.public_key;
  j["allowed_ips"] = prefixes(p.allowed_ips);
  Json eps = Json::array();
  for (const std::string& e : p.endpoints) {
    if (eps.size() == kMaxEndpoints) break;
    if (valid_endpoint(e)) eps.push_back(e);
  }
  j["endpoints"] = std::move(eps);
  j["persistent_keepalive"] = keepalive;
  return j;
}

Json filter_json(const WireFilter& f) {
  Json rules = Json::array();
  for (const WireRule& r : f) {
    Json j;
    j["src"] = prefixes(r.src->prefixes);
    Json proto = Json::array();
    for (std::uint8_t p : r.proto)
      proto.push_back(p);
    j["proto"] = std::move(proto);
    Json ports = Json::array();
    for (const policy::PortRange& pr : r.ports)
      ports.push_back(Json::array({pr.first, pr.last}));
    j["ports"] = std::move(ports);
    rules.push_back(std::move(j));
  }
  Json j;
  j["inbound"] = std::move(rules);
  return j;
}

std::string line(const Json& j) {
  // Strings come from validated inventories, but never let a stray byte throw here.
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  s.push_back('\n');
  return s;
}

}  // namespace

bool valid_endpoint(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;
  }
  auto ip = net::IpAddress::parse(host);
  if (!ip) return false;
  if (text.front() == '[' && !ip->is_v6()) return false;
  auto bytes = ip->bytes();
  if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; })) return false;
  if (port.empty() || port.size() > 5 || port[0] == '0') return false;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && ptr == port.data() + port.size() && value >= 1 && value <= 65535;
}

WireFilter wire_filter(const std::vector<policy::FilterRule>& filters) {
  WireFilter out;
  for (const policy::FilterRule& f : filters) {
    if (!f.src || f.src->prefixes.empty()) continue;
    std::vector<std::uint8_t> with_ports, without_ports, all;
    for (int p = 0; p < 256; ++p) {
      if (!f.protos.test(static_cast<std::size_t>(p))) continue;
      (policy::proto_has_ports(p) ? with_ports : without_ports)
          .push_back(static_cast<std::uint8_t>(p));
      all.push_back(static_cast<std::uint8_t>(p));
    }
    const bool every_port =
        f.ports.size() == 1 && f.ports[0].first <= 1 && f.ports[0].last == 65535;
    if (every_port) {
      if (!all.empty()) out.push_back({f.src, std::move(all), {}});
      continue;
    }
    std::vector<policy::PortRange> ports;
    for (const policy::PortRange& r : f.ports) {
      std::uint16_t first = std::max<std::uint16_t>(r.first, 1);
      if (first <= r.last) ports.push_back({first, r.last});
    }
    // Port protocols with no usable port allow nothing: never send them with `ports: []`.
    if (!with_ports.empty() && !ports.empty())
      out.push_back({f.src, std::move(with_ports), std::move(ports)});
    if (!without_ports.empty()) out.push_back({f.src, std::move(without_ports), {}});
  }
  std::sort(out.begin(), out.end(), rule_less);
  out.erase(std::unique(out.begin(), out.end(), rule_equal), out.end());
  return out;
}

bool same_wire_filter(const WireFilter& a, const WireFilter& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), rule_equal);
}

bool same_wire_self(const policy::SelfInfo& a, const policy::SelfInfo& b) {
  return a.id == b.id && a.name == b.name && a.user == b.user && a.tags == b.tags &&
         a.addresses == b.addresses;
}

bool same_wire_peer(const policy::PeerInfo& a, const policy::PeerInfo& b) {
  return a.id == b.id && a.name == b.name && a.public_key == b.public_key &&
         a.allowed_ips == b.allowed_ips && a.endpoints == b.endpoints;
}

std::string render_netmap(const policy::Netmap& m, const WireFilter& filter, std::uint64_t serial,
                          const Overlay& overlay) {
  Json j;
  j["type"] = "netmap";
  j["serial"] = serial;
  j["self"] = self_json(m.self);
  j["overlay"] = {{"v4", overlay.v4.to_string()}, {"v6", overlay.v6.to_string()}};
  Json peers = Json::array();
  for (const policy::PeerEntry& p : m.peers)
    peers.push_back(peer_json(*p.info, m.persistent_keepalive));
  j["peers"] = std::move(peers);
  j["filter"] = filter_json(filter);
  return line(j);
}

std::string render_delta(const WireDelta& d, std::uint16_t keepalive) {
  std::vector<const policy::PeerInfo*> upsert;
  upsert.reserve(d.added.size() + d.changed.size());
  for (const auto& p : d.added)
    upsert.push_back(p.get());
  for (const auto& p : d.changed)
    upsert.push_back(p.get());
  std::sort(upsert.begin(), upsert.end(), [](const policy::PeerInfo* a, const policy::PeerInfo* b) {
    return std::tie(a->id, a->public_key) < std::tie(b->id, b->public_key);
  });
  Json j;
  j["type"] = "delta";
  j["serial"] = d.serial;
  j["base_serial"] = d.base_serial;
  Json peers = Json::array();
  for (const policy::PeerInfo* p : upsert)
    peers.push_back(peer_json(*p, keepalive));
  j["peers_upsert"] = std::move(peers);
  j["peers_remove"] = d.removed;
  if (d.filter) j["filter"] = filter_json(*d.filter);
  if (d.self) j["self"] = self_json(*d.self);
  return line(j);
}

std::string render_keepalive(std::uint64_t serial) {
  Json j;
  j["type"] = "keepalive";
  j["serial"] = serial;
  return line(j);
}

std::string_view terminal_name(Terminal kind) {
  switch (kind) {
    case Terminal::kQuarantined:
      return "quarantined";
    case Terminal::kExpired:
      return "expired";
    case Terminal::kRevoked:
      break;
  }
  return "revoked";
}

std::string render_terminal(Terminal kind, std::string_view reason) {
  Json j;
  j["type"] = terminal_name(kind);
  j["reason"] = std::string(reason.substr(0, 200));
  return line(j);
}

}  // namespace ward::publish
