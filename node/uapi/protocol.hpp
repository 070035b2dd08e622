// The cross-platform WireGuard configuration protocol ("UAPI",
// https://www.wireguard.com/xplatform/): encoding of set=1 requests and strict parsing
// of get=1 and set=1 responses. Pure: no I/O; thread-safe.
//
// Wire facts relied on: keys are lower-case hex in UAPI (base64 is only for humans);
// a response is "key=value\n" lines ending in "errno=N\n\n"; the spec says N is a
// positive errno, wireguard-go 0.0.20220316 sends it negated ("errno=-22"), so both signs
// are accepted and |N| is reported. Within a set request a peer's settings follow its
// public_key line; device settings come first.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "node/reconcile/wg_types.hpp"

namespace ward::node::uapi {

inline constexpr std::string_view kGetRequest = "get=1\n\n";

// "set=1\n...\n\n". The text holds the private key (when set) in hex, hence SecretString.
// Per peer: public_key, then remove=true (and nothing else) or update_only=true,
// preshared_key, endpoint, persistent_keepalive_interval, replace_allowed_ips=true and one
// allowed_ip line per prefix.
SecretString encode_set_request(const WgChange& change);

struct ParseLimits {
  std::size_t max_response_bytes = 64u << 20;
  std::size_t max_line_bytes = 256;
  std::size_t max_peers = 200'000;
  std::size_t max_allowed_ips = 2'000'000;
};

// A get=1 response into WgState (allowed IPs normalized). Unknown keys, device keys after
// the first peer, values out of range, missing or non-final errno, and a non-zero errno
// are all errors. Never echoes a private or preshared key.
Result<WgState> parse_get_response(std::string_view text, const ParseLimits& limits = {});

// A set=1 response: "errno=0\n\n" is ok; "errno=N\n\n" is an error naming errno |N|.
Status parse_set_response(std::string_view text);

// The error for a UAPI errno value (sign ignored): EINVAL -> invalid_argument, others io.
Error errno_error(long long value);

}  // namespace ward::node::uapi
