// Argument checks done before anything is sent (pure). Each returns InvalidArgument
// quoting the bad input and saying what was expected; the CLI11 validators wrap them so
// a bad argument is a usage error (exit 2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common/base/result.hpp"

namespace ward::wardctl {

// "90s", "30m", "12h", "7d" or plain seconds; 1 s .. 365 d.
Result<std::int64_t> parse_duration(std::string_view text);
// "tcp" | "udp" | "icmp" | an IANA number 0..255.
Result<int> parse_proto(std::string_view text);

struct DstPort {
  std::string dst;  // alias, device name, address or CIDR (IPv6 without brackets)
  std::uint16_t port = 0;
};
// "DST:PORT" ("[v6]:PORT" for IPv6); the port may be omitted only when !needs_port.
Result<DstPort> parse_dst_port(std::string_view text, bool needs_port);

Status check_tag(std::string_view tag);      // "tag:" + [a-z0-9-]{1,63}
Status check_group(std::string_view group);  // "group:" + [a-z0-9-]{1,63}
Status check_email(std::string_view email);  // local@domain, no spaces or controls
Status check_role(std::string_view role);    // owner | admin | auditor | member

// CLI11 validators over the checks above.
CLI::Validator tag_validator();
CLI::Validator group_validator();
CLI::Validator email_validator();
CLI::Validator role_validator();
CLI::Validator duration_validator();
CLI::Validator proto_validator();

}  // namespace ward::wardctl
