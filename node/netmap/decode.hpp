// Strict decoding of one line of the controller's stream (docs/protocol.md) into a typed
// message. Pure: no I/O, no clock; safe to call from any thread.
//
// Strictness: the line must be one JSON object of at most limits.max_line_bytes; every
// field named in the protocol is type-checked, every required field must be present,
// unknown fields are REJECTED (a field this node does not understand could narrow access,
// so ignoring it could widen access: fail closed). Numbers must be integers in range.
// Errors carry a JSON path: "$.peers[3].allowed_ips[0]: expected a prefix ..., got ...".
//
// Decoding checks the shape of each value (keys, prefixes, ports); whole-map rules
// (uniqueness, overlay containment, overlap) are validate_netmap()'s job.
#pragma once

#include <cstddef>
#include <string_view>
#include <variant>

#include "common/base/result.hpp"
#include "node/netmap/netmap.hpp"

namespace ward::node {

struct DecodeLimits {
  std::size_t max_line_bytes = 64u << 20;
  std::size_t max_peers = 100'000;
  std::size_t max_allowed_ips_per_peer = 1024;
  std::size_t max_endpoints_per_peer = 16;
  std::size_t max_filter_rules = 100'000;
  std::size_t max_src_per_rule = 100'000;
  std::size_t max_ports_per_rule = 1024;
  std::size_t max_string_bytes = 256;
  std::size_t max_tags = 256;
  std::size_t max_self_addresses = 16;
};

using StreamMessage = std::variant<Netmap, Delta, Keepalive, Terminal>;

Result<StreamMessage> decode_stream_message(std::string_view line, const DecodeLimits& limits = {});

}  // namespace ward::node
