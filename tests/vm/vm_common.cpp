#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "common/crypto/wg_key.hpp"
#include "tests/vm/vm_driver.hpp"

namespace ward::vmtest {
namespace {

std::string join(const std::vector<net::Prefix>& ips) {
  std::string out;
  for (const auto& p : ips) {
    if (!out.empty()) out += ", ";
    out += p.to_string();
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

void print_state(const std::string& iface, const node::WgState& st) {
  std::printf("interface: %s\n", iface.c_str());
  if (st.private_key.empty()) {
    std::printf("  private key: (none)\n");
  } else if (auto k = crypto::WgPrivateKey::from_bytes(st.private_key.span()); k) {
    std::printf("  private key: (set, hidden)\n  public key: %s\n",
                k->public_key().to_base64().c_str());
  } else {
    std::printf("  private key: (set, unusable: %s)\n", k.error().message().c_str());
  }
  std::printf("  listening port: %u\n  fwmark: %u\n  peers: %zu\n",
              static_cast<unsigned>(st.listen_port), static_cast<unsigned>(st.fwmark),
              st.peers.size());
  constexpr std::size_t kMaxPeersShown = 4;  // bulk configurations print a summary only
  for (std::size_t i = 0; i < st.peers.size() && i < kMaxPeersShown; ++i) {
    const auto& p = st.peers[i];
    std::printf("  peer: %s\n", p.public_key.to_base64().c_str());
    std::printf("    endpoint: %s\n", p.endpoint ? p.endpoint->to_string().c_str() : "(none)");
    if (p.allowed_ips.size() <= 8)
      std::printf("    allowed ips: %s\n", join(p.allowed_ips).c_str());
    else
      std::printf("    allowed ips: %zu prefixes, first %s, last %s\n", p.allowed_ips.size(),
                  p.allowed_ips.front().to_string().c_str(),
                  p.allowed_ips.back().to_string().c_str());
    if (p.last_handshake_sec == 0)
      std::printf("    latest handshake: (never)\n");
    else
      std::printf("    latest handshake: %lld.%09lld (unix time)\n",
                  static_cast<long long>(p.last_handshake_sec),
                  static_cast<long long>(p.last_handshake_nsec));
    std::printf("    transfer: %llu B received, %llu B sent\n",
                static_cast<unsigned long long>(p.rx_bytes),
                static_cast<unsigned long long>(p.tx_bytes));
    std::printf("    persistent keepalive: %u\n    protocol version: %u\n",
                static_cast<unsigned>(p.persistent_keepalive),
                static_cast<unsigned>(p.protocol_version));
  }
  if (st.peers.size() > kMaxPeersShown)
    std::printf("  ... %zu more peers\n", st.peers.size() - kMaxPeersShown);
  std::fflush(stdout);
}

std::string compare_config(const node::WgConfig& desired, const node::WgState& actual) {
  if (!desired.private_key.empty() && !(desired.private_key == actual.private_key))
    return "private key differs from the (clamped) desired key";
  if (desired.listen_port != 0 && desired.listen_port != actual.listen_port)
    return "listen port " + std::to_string(actual.listen_port) + ", want " +
           std::to_string(desired.listen_port);
  if (actual.fwmark != 0) return "fwmark " + std::to_string(actual.fwmark) + ", want 0";
  if (desired.peers.size() != actual.peers.size())
    return std::to_string(actual.peers.size()) + " peers, want " +
           std::to_string(desired.peers.size());
  std::map<node::WgKey, const node::WgPeerState*> by_key;
  for (const auto& p : actual.peers)
    by_key[p.public_key] = &p;
  if (by_key.size() != actual.peers.size()) return "the kernel reported a peer twice";
  for (const auto& want : desired.peers) {
    const std::string who = "peer " + want.public_key.to_base64() + ": ";
    auto it = by_key.find(want.public_key);
    if (it == by_key.end()) return who + "missing";
    const node::WgPeerState& got = *it->second;
    if (got.allowed_ips != want.allowed_ips)
      return who + "allowed ips differ: got " + std::to_string(got.allowed_ips.size()) + " (" +
             (got.allowed_ips.size() <= 8 ? join(got.allowed_ips) : "...") + "), want " +
             std::to_string(want.allowed_ips.size()) + " (" +
             (want.allowed_ips.size() <= 8 ? join(want.allowed_ips) : "...") + ")";
    if (got.endpoint != want.endpoint)
      return who + "endpoint " + (got.endpoint ? got.endpoint->to_string() : "(none)") + ", want " +
             (want.endpoint ? want.endpoint->to_string() : "(none)");
    if (got.has_preshared_key) return who + "has a preshared key (Ward sets none)";
    if (got.persistent_keepalive != want.persistent_keepalive)
      return who + "keepalive " + std::to_string(got.persistent_keepalive) + ", want " +
             std::to_string(want.persistent_keepalive);
  }
  return "";
}

}  // namespace ward::vmtest
