// Offline policy-as-code: `policy check|test` and `netmap` with --inventory FILE, no
// controller. Parse and compile the files, then ask controller/review — the same code the
// admin API answers with — so the JSON shapes are those of docs/admin-api.md and one
// renderer serves both. Pure: texts are passed in; `now` is passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "controller/policy/inventory.hpp"
#include "controller/policy/policy.hpp"

namespace ward::wardctl {

struct PolicyText {
  std::string text;
  std::string name;  // for messages ("policy.hujson")
};

// {"ok", "errors", "warnings", "tests": {"passed", "failed"}, "changes": [{"device",
// "peers_added", "peers_removed"}]}. Changes compare against `baseline` (another policy)
// or, without one, against deny-all. A parse error is ok=false with the error, not an
// Error; an inventory that does not validate is an Error.
Result<nlohmann::json> offline_check(const PolicyText& policy, const policy::Inventory& inventory,
                                     const std::optional<PolicyText>& baseline, policy::Time now);

// {"decision": "accept"|"deny", "rule": "acls[0]" or null, "reason", "pairs": [{"src",
// "dst", "decision", "rule", "reason"}]}: accept only when the aliases select at least one
// pair and every pair is accepted. Errors: parse errors, unknown aliases.
Result<nlohmann::json> offline_test(const PolicyText& policy, const policy::Inventory& inventory,
                                    std::string_view src, std::string_view dst, std::uint16_t port,
                                    int proto, policy::Time now);

// The device's netmap (by id or name) as controller/policy's to_json renders it, with
// "why" entries when explain.
Result<nlohmann::json> offline_netmap(const PolicyText& policy, const policy::Inventory& inventory,
                                      std::string_view device, bool explain, policy::Time now);

}  // namespace ward::wardctl
