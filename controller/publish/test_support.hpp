// Helpers shared by the publisher's unit tests: a tiny inventory builder, a recording sink
// and a node model that decodes every line with the node's strict decoder and applies
// deltas with the node's apply_delta.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "controller/policy/compiler.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/publish/publisher.hpp"
#include "node/netmap/decode.hpp"
#include "node/netmap/validate.hpp"

namespace ward::publish::testing {

inline std::string test_key(unsigned n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<std::uint8_t, 33> b{};
  b[0] = 0x57;
  b[1] = static_cast<std::uint8_t>(n >> 16);
  b[2] = static_cast<std::uint8_t>(n >> 8);
  b[3] = static_cast<std::uint8_t>(n);
  std::string out;
  for (std::size_t i = 0; i < 33; i += 3) {
    std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
    for (int k = 3; k >= 0; --k)
      out.push_back(kAlphabet[(v >> (6 * k)) & 63]);
  }
  out.back() = '=';  // 32 bytes: 43 characters and '='
  return out;
}

// Device n: id "d<n>", name "n<n>", overlay 100.64.<n/250>.<n%250+1>, key test_key(n).
inline policy::Device device(unsigned n, std::string user, std::vector<std::string> tags = {},
                             policy::DeviceStatus status = policy::DeviceStatus::kActive) {
  policy::Device d;
  d.id = "d" + std::to_string(n);
  d.name = "n" + std::to_string(n);
  d.user = std::move(user);
  d.tags = std::move(tags);
  d.public_key = test_key(n);
  d.overlay_v4 = *net::IpAddress::parse("100.64." + std::to_string(n / 250) + "." +
                                        std::to_string(n % 250 + 1));
  char v6[64];
  std::snprintf(v6, sizeof v6, "fd7a:115c:a1e0::%x", n + 1);
  d.overlay_v6 = *net::IpAddress::parse(v6);
  d.status = status;
  d.endpoints = {"192.0.2." + std::to_string(n % 250 + 1) + ":51820"};
  return d;
}

inline std::shared_ptr<const policy::Policy> policy_text(std::string_view text) {
  auto r = policy::parse_policy(text, "t.hujson");
  if (!r) FAIL(r.error().message());
  return std::make_shared<const policy::Policy>(std::move(r->policy));
}

inline Overlay overlay() {
  return {*net::Prefix::parse("100.64.0.0/10"), *net::Prefix::parse("fd7a:115c:a1e0::/48")};
}

inline Time ms(std::int64_t v) {
  return Time(std::chrono::milliseconds(v));
}
// 2026-11-28T17:00:00Z in ms.
inline constexpr std::int64_t kT0 = 1'795'885'200'000;

inline std::unique_ptr<Publisher> make_publisher(std::shared_ptr<const policy::Policy> p,
                                                 policy::Inventory inv,
                                                 std::uint64_t floor = 1000) {
  auto c = policy::Compiler::create(std::move(p), std::move(inv),
                                    std::chrono::floor<std::chrono::seconds>(ms(kT0)));
  if (!c) FAIL(c.error().message());
  PublisherOptions o;
  o.overlay = overlay();
  o.serial_floor = floor;
  return std::make_unique<Publisher>(std::move(*c), o);
}

struct RecordingSink : Sink {
  std::vector<std::string> lines;
  bool closed = false;
  bool alive = true;
  bool send(std::string line) override {
    if (!alive || closed) return false;
    lines.push_back(std::move(line));
    return true;
  }
  void close() override { closed = true; }
  std::size_t taken = 0;  // lines already consumed by a NodeModel
};

inline std::string type_of(const node::StreamMessage& m) {
  if (std::holds_alternative<node::Netmap>(m)) return "netmap";
  if (std::holds_alternative<node::Delta>(m)) return "delta";
  if (std::holds_alternative<node::Keepalive>(m)) return "keepalive";
  return std::string(node::terminal_kind_name(std::get<node::Terminal>(m).kind));
}

inline node::Netmap sorted(node::Netmap m) {
  std::sort(m.peers.begin(), m.peers.end(),
            [](const node::Peer& a, const node::Peer& b) { return a.id < b.id; });
  return m;
}

// A node: holds the map it built from the stream, exactly as the node's control core does.
struct NodeModel {
  node::WgKey own;
  std::optional<node::Netmap> map;
  std::vector<std::string> types;  // every message type seen
  std::optional<std::uint64_t> last_serial;

  explicit NodeModel(unsigned n) : own(*node::WgKey::from_base64(test_key(n))) {}

  // Consumes the sink's new lines; every one must decode and apply.
  void consume(RecordingSink& sink) {
    for (; sink.taken < sink.lines.size(); ++sink.taken) {
      const std::string& line = sink.lines[sink.taken];
      REQUIRE(!line.empty());
      REQUIRE(line.back() == '\n');
      auto msg = node::decode_stream_message(std::string_view(line).substr(0, line.size() - 1));
      INFO(line);
      REQUIRE(msg);
      types.push_back(type_of(*msg));
      if (auto* full = std::get_if<node::Netmap>(&*msg)) {
        if (last_serial) CHECK(full->serial > *last_serial);
        REQUIRE(node::validate_netmap(*full, own));
        map = sorted(*full);
        last_serial = full->serial;
      } else if (auto* d = std::get_if<node::Delta>(&*msg)) {
        REQUIRE(map);
        auto next = node::apply_delta(*map, *d, own);
        std::string why = next ? std::string() : next.error().message();
        INFO(why);
        REQUIRE(next);
        map = sorted(*next);
        last_serial = d->serial;
      } else if (auto* k = std::get_if<node::Keepalive>(&*msg)) {
        REQUIRE(map);
        CHECK(k->serial == map->serial);
      } else {
        map.reset();
      }
    }
  }
};

// The full netmap of a device as published now (rendered from the compiler's current map
// with the publisher's serial), decoded.
inline node::Netmap fresh_map(const Publisher& pub, const std::string& id) {
  auto nm = pub.compiler().netmap(id);
  REQUIRE(nm);
  std::string line = render_netmap(*nm, wire_filter(nm->filters), *pub.serial(id), overlay());
  auto msg = node::decode_stream_message(std::string_view(line).substr(0, line.size() - 1));
  REQUIRE(msg);
  REQUIRE(std::holds_alternative<node::Netmap>(*msg));
  return sorted(std::get<node::Netmap>(*msg));
}

}  // namespace ward::publish::testing
