// Strict parser for Ward policy files (HuJSON, Tailscale/headscale compatible subset).
//
// Contract: either a fully validated Policy plus warnings, or the FIRST error as
// "<name>:<line>:<col>: <what>; expected <what>". Nothing is partially accepted.
// Sections Ward does not implement (ssh, nodeAttrs, autoApprovers, derpMap, ...) produce
// a warning naming them and are ignored; they never widen access. A grant using `via` is
// skipped entirely (with a warning) because ignoring `via` alone would widen it.
// Pure: no I/O except parse_policy_file(), which reads the path it is given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "controller/policy/policy.hpp"

namespace ward::policy {

struct ParsedPolicy {
  Policy policy;
  std::vector<std::string> warnings;  // "<name>:<line>:<col>: ..." each
};

Result<ParsedPolicy> parse_policy(std::string_view text, std::string name = "policy.hujson");
// Reads the file (at most hujson::kMaxInputBytes) and parses it with its path as name.
Result<ParsedPolicy> parse_policy_file(const std::string& path);

// Parses an alias as `wardctl policy test` accepts it: everything the policy file
// accepts in src/dst, plus any other bare word as a device name.
Result<Alias> parse_query_alias(const Policy& policy, std::string_view text);

}  // namespace ward::policy
