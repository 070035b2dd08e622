// Device posture conditions (Tailscale syntax): "node:os IN ['linux', 'macos']",
// "node:osVersion >= '13.4'", "disk:encrypted == true", "custom:mdm IS SET".
//
// Fail closed: a condition on a fact the device did not report is false (except NOT SET);
// an ordering comparison where either side is not a version is false.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "controller/policy/policy.hpp"

namespace ward::policy {

// Facts a node reports: attribute -> value. Booleans are "true"/"false".
using PostureFacts = std::map<std::string, std::string, std::less<>>;

// Parses one condition. Errors say what was expected (no position: the caller adds it).
Result<PostureCondition> parse_posture_condition(std::string_view text);

// True for the attributes Ward nodes report: node:os, node:osVersion, ward:version,
// disk:encrypted, firewall:enabled, secureboot:enabled, and any custom:<name>.
bool is_known_posture_attribute(std::string_view attribute);

// Compares dotted numeric versions component by component ("13.2.1" < "13.10", "1.2" ==
// "1.2.0"). A leading 'v' is ignored; anything after the numeric part from '-' or '+'
// on (a pre-release or build suffix) is ignored. nullopt if either is not a version.
std::optional<int> compare_versions(std::string_view a, std::string_view b);

bool condition_holds(const PostureCondition& condition, const PostureFacts& facts);
bool posture_holds(const Posture& posture, const PostureFacts& facts);

std::string_view posture_op_name(PostureOp op);

}  // namespace ward::policy
