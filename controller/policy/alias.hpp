// Alias resolution against a policy's definitions, and the name rules shared by the
// policy and inventory parsers.
#pragma once

#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "controller/policy/policy.hpp"

namespace ward::policy {

// Parses alias text ("*", "alice@x.org", "group:g", "tag:t", a host from `hosts`, an IP or
// CIDR, autogroup:member|tagged|self) against the policy's groups, tagOwners and hosts.
// allow_self permits autogroup:self (destinations only); allow_device_name turns any other
// plain name into a kDeviceName alias (tests and queries). Errors say what was expected;
// the caller adds the position.
Result<Alias> resolve_alias(const Policy& policy, std::string_view text, bool allow_self,
                            bool allow_device_name);

std::string lower_ascii(std::string_view s);
// 1-128 of letters, digits, '-', '_', '.'.
bool valid_name(std::string_view s);
// Exactly one '@', not first, no spaces, commas, colons or quotes, at most 254 bytes.
bool valid_email(std::string_view s);

}  // namespace ward::policy
