#include "node/wg/uapi.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

namespace ward::wg {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class T>
std::optional<T> parse_uint(std::string_view s, T max) {
  T v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) return std::nullopt;
  return v;
}

// One peer's worth of a set request.
struct PeerOp {
  PublicKey key{};
  bool remove = false;
  bool update_only = false;
  std::optional<Key> psk;
  std::optional<Endpoint> endpoint;
  std::optional<std::uint16_t> keepalive;
  bool replace_allowed_ips = false;
  std::vector<IpPrefix> allowed_ips;
};

struct SetPlan {
  std::optional<PrivateKey> private_key;
  std::optional<std::uint16_t> listen_port;
  bool replace_peers = false;
  std::vector<PeerOp> peers;
};

UapiSetResult invalid(std::string msg) {
  return {EINVAL, std::move(msg), false};
}

}  // namespace

std::optional<PublicKey> parse_hex_key(std::string_view hex) {
  if (hex.size() != 2 * kKeyLen) return std::nullopt;
  PublicKey k{};
  for (std::size_t i = 0; i < kKeyLen; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    k[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return k;
}

std::string hex_key(std::span<const std::uint8_t, kKeyLen> key) {
  static const char* d = "0123456789abcdef";
  std::string s;
  s.reserve(2 * kKeyLen);
  for (std::uint8_t b : key) {
    s.push_back(d[b >> 4]);
    s.push_back(d[b & 15]);
  }
  return s;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto port = parse_uint<std::uint16_t>(text.substr(colon + 1), 65535);
  if (!port) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  Endpoint e;
  e.port = *port;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string h(host.substr(1, host.size() - 2));
    if (auto pct = h.find('%'); pct != std::string::npos) h.resize(pct);  // zone ids unsupported
    if (inet_pton(AF_INET6, h.c_str(), e.addr.data()) != 1) return std::nullopt;
    e.family = 6;
    return e;
  }
  std::string h(host);
  if (inet_pton(AF_INET, h.c_str(), e.addr.data()) != 1) return std::nullopt;
  e.family = 4;
  return e;
}

std::optional<IpPrefix> parse_prefix(std::string_view text) {
  IpPrefix p;
  std::string_view addr = text;
  std::optional<std::uint8_t> cidr;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    cidr = parse_uint<std::uint8_t>(text.substr(slash + 1), 128);
    if (!cidr) return std::nullopt;
  }
  std::string a(addr);
  if (inet_pton(AF_INET, a.c_str(), p.addr.data()) == 1) {
    p.family = 4;
    p.cidr = cidr.value_or(32);
    if (p.cidr > 32) return std::nullopt;
  } else if (inet_pton(AF_INET6, a.c_str(), p.addr.data()) == 1) {
    p.family = 6;
    p.cidr = cidr.value_or(128);
  } else {
    return std::nullopt;
  }
  for (unsigned b = p.cidr; b < 128; ++b)
    p.addr[b / 8] &= static_cast<std::uint8_t>(~(0x80 >> (b % 8)));
  return p;
}

std::string to_string(const IpPrefix& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(p.cidr);
}

std::string uapi_get(const Device& device) {
  std::string s;
  auto line = [&s](std::string_view k, std::string_view v) {
    s.append(k).push_back('=');
    s.append(v).push_back('\n');
  };
  if (device.identity().has_key())
    line("private_key", hex_key(device.identity().private_key().span()));
  if (device.listen_port() != 0) line("listen_port", std::to_string(device.listen_port()));
  for (const Peer* peer : device.peers()) {
    line("public_key", hex_key(peer->public_key));
    if (!peer->preshared_key.is_zero()) line("preshared_key", hex_key(peer->preshared_key.span()));
    line("protocol_version", "1");
    if (peer->endpoint) line("endpoint", to_string(*peer->endpoint));
    const std::int64_t wall = peer->last_handshake_wall_ns.value_or(0);
    line("last_handshake_time_sec", std::to_string(wall / kSecond));
    line("last_handshake_time_nsec", std::to_string(wall % kSecond));
    line("tx_bytes", std::to_string(peer->tx_bytes));
    line("rx_bytes", std::to_string(peer->rx_bytes));
    line("persistent_keepalive_interval", std::to_string(peer->timers.persistent_keepalive()));
    for (const IpPrefix& p : device.allowed_ips().prefixes_of(peer->id))
      line("allowed_ip", to_string(p));
  }
  s.append("errno=0\n\n");
  return s;
}

UapiSetResult uapi_set(Device& device, std::string_view lines, Time now, Output& out) {
  SetPlan plan;
  PeerOp* peer = nullptr;
  while (!lines.empty()) {
    const auto nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    lines = nl == std::string_view::npos ? std::string_view{} : lines.substr(nl + 1);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return invalid("line without '=': " + quote(line));
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "public_key") {
      auto k = parse_hex_key(value);
      if (!k) return invalid("public_key: expected 64 hex digits, got " + quote(value));
      plan.peers.push_back(PeerOp{});
      peer = &plan.peers.back();
      peer->key = *k;
      continue;
    }
    if (!peer) {
      if (key == "private_key") {
        auto k = parse_hex_key(value);
        if (!k) return invalid("private_key: expected 64 hex digits");
        plan.private_key.emplace(PrivateKey(*k));
        secure_wipe(k->data(), k->size());
      } else if (key == "listen_port") {
        auto port = parse_uint<std::uint16_t>(value, 65535);
        if (!port) return invalid("listen_port: expected 0..65535, got " + quote(value));
        plan.listen_port = *port;
      } else if (key == "fwmark") {
        if (!parse_uint<std::uint32_t>(value, 0xffffffffu))
          return invalid("fwmark: expected a number, got " + quote(value));
      } else if (key == "replace_peers") {
        if (value != "true") return invalid("replace_peers: expected true, got " + quote(value));
        plan.replace_peers = true;
      } else {
        return invalid("unknown device key " + quote(key));
      }
      continue;
    }
    if (key == "remove") {
      if (value != "true") return invalid("remove: expected true, got " + quote(value));
      peer->remove = true;
    } else if (key == "update_only") {
      if (value != "true") return invalid("update_only: expected true, got " + quote(value));
      peer->update_only = true;
    } else if (key == "preshared_key") {
      auto k = parse_hex_key(value);
      if (!k) return invalid("preshared_key: expected 64 hex digits");
      peer->psk.emplace(Key(*k));
      secure_wipe(k->data(), k->size());
    } else if (key == "endpoint") {
      auto e = parse_endpoint(value);
      if (!e) return invalid("endpoint: expected ip:port or [ipv6]:port, got " + quote(value));
      peer->endpoint = *e;
    } else if (key == "persistent_keepalive_interval") {
      auto v = parse_uint<std::uint16_t>(value, 65535);
      if (!v)
        return invalid("persistent_keepalive_interval: expected 0..65535, got " + quote(value));
      peer->keepalive = *v;
    } else if (key == "replace_allowed_ips") {
      if (value != "true")
        return invalid("replace_allowed_ips: expected true, got " + quote(value));
      peer->replace_allowed_ips = true;
    } else if (key == "allowed_ip") {
      auto p = parse_prefix(value);
      if (!p) return invalid("allowed_ip: expected address/cidr, got " + quote(value));
      peer->allowed_ips.push_back(*p);
    } else if (key == "protocol_version") {
      if (value != "1")
        return invalid("protocol_version: only 1 is supported, got " + quote(value));
    } else {
      return invalid("unknown peer key " + quote(key));
    }
  }
  for (const PeerOp& op : plan.peers) {
    const bool own = plan.private_key
                         ? StaticIdentity(*plan.private_key).public_key() == op.key
                         : device.identity().has_key() && device.identity().public_key() == op.key;
    if (own && !op.remove) return invalid("a peer cannot have the interface's own public key");
  }

  // Apply.
  UapiSetResult result;
  if (plan.private_key) device.set_private_key(*plan.private_key);
  if (plan.listen_port && *plan.listen_port != device.listen_port()) {
    device.set_listen_port(*plan.listen_port);
    result.listen_port_changed = true;
  }
  if (plan.replace_peers) device.remove_all_peers();
  for (const PeerOp& op : plan.peers) {
    if (op.remove) {
      (void)device.remove_peer(op.key);
      continue;
    }
    if (!device.find_peer(op.key)) {
      if (op.update_only) continue;
      if (!device.add_peer(op.key)) continue;
    }
    if (op.psk) (void)device.set_preshared_key(op.key, *op.psk);
    if (op.endpoint) (void)device.set_endpoint(op.key, *op.endpoint);
    if (op.replace_allowed_ips) (void)device.clear_allowed_ips(op.key);
    for (const IpPrefix& p : op.allowed_ips)
      (void)device.add_allowed_ip(op.key, p);
  }
  // With every peer complete (PSK included), answer the initiations that came too early;
  // before any keepalive below starts a handshake of ours that would collide with them.
  device.answer_early_initiations(now, out);
  for (const PeerOp& op : plan.peers)  // a peer that was not added: not_found, ignored
    if (!op.remove && op.keepalive)
      (void)device.set_persistent_keepalive(op.key, *op.keepalive, now, out);
  return result;
}

}  // namespace ward::wg
