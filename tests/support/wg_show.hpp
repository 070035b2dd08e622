// Test support: what `wg show` (wireguard-tools) says about an interface's peers, for
// asserting which tunnels a node configured. Uses only the per-field forms (peers,
// allowed-ips, endpoints, latest-handshakes, transfer, persistent-keepalive, public-key,
// listen-port), never `dump` or `private-key`, which print the private key.
//
//   auto peers = wg_show_peers([&](const std::string& c) { return ns.exec(c); }, "wg0");
//   REQUIRE(peers);  CHECK(peers->contains(b_public_key));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "tests/support/process.hpp"

namespace ward::testing {

struct WgShowPeer {
  std::vector<std::string> allowed_ips;  // as printed, e.g. "100.64.0.2/32"; empty for (none)
  std::string endpoint;                  // "ip:port", empty for (none)
  std::int64_t latest_handshake = 0;     // unix seconds, 0 = never
  std::uint64_t rx_bytes = 0, tx_bytes = 0;
  std::uint16_t persistent_keepalive = 0;  // seconds, 0 = off
};

// The interface's own fields.
struct WgShowDevice {
  std::string public_key;  // base64, empty for (none)
  std::uint16_t listen_port = 0;
};

// Parses one field listing: lines "<public key>\t<value>" (value may hold further tabs).
// Keys must be 44 characters of base64; anything else is invalid_argument naming the line.
Result<std::map<std::string, std::string>> parse_wg_show_field(std::string_view text);

// Assembles the peers of iface from `wg show <iface> <field>` run through `run` (e.g. a
// namespace's exec). A failing command is an error carrying its output.
using ShellRunner = std::function<CommandResult(const std::string& command)>;
Result<std::map<std::string, WgShowPeer>> wg_show_peers(const ShellRunner& run,
                                                        const std::string& iface);
// The same for `wg show <iface> public-key` and `listen-port`.
Result<WgShowDevice> wg_show_device(const ShellRunner& run, const std::string& iface);

}  // namespace ward::testing
