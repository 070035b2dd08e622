// Policy review: the answers `wardctl policy check|test`, `wardctl netmap` and
// `wardctl inventory export` print, computed from controller/policy. The admin API
// (against the live compiler) and wardctl's offline mode (against --inventory FILE) both
// call these, so the JSON shapes in docs/admin-api.md have one implementation.
//
// Pure: texts, inventories and compilers are passed in, `now` is passed in. Thread-safe
// as far as the compilers passed in are (they are only read).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "controller/policy/compiler.hpp"
#include "controller/policy/inventory.hpp"
#include "controller/policy/policy.hpp"

namespace ward::review {

struct PolicyText {
  std::string text;
  std::string name;  // for messages ("policy.hujson")
};

struct CheckResult {
  // {"ok", "errors": [...], "warnings": [...], "tests": {"passed": N, "failed": [...]},
  //  "changes": [{"device", "peers_added": [names], "peers_removed": [names]}]}
  // ok is true when the text parses, compiles against the inventory and every test passes.
  nlohmann::json report;
  // The parsed policy when it parsed and compiled (also when tests fail); else null.
  std::shared_ptr<const policy::Policy> policy;
  // The candidate compiled against the inventory (null when policy is null).
  std::unique_ptr<policy::Compiler> compiled;
  bool ok() const { return report.value("ok", false); }
};

// Parses text, compiles it against inventory, runs its `tests`, and lists the devices
// whose peers differ from `baseline` (the policy in force). A parse error, or an alias that
// does not compile against the inventory, is a report with ok=false and the error, not an
// Error; Error only for an inventory that does not validate.
Result<CheckResult> check(const PolicyText& text, const policy::Inventory& inventory,
                          const policy::Compiler& baseline, policy::Time now);

// {"decision": "accept"|"deny", "rule": "acls[0]" or null, "reason", "pairs": [{"src",
// "dst", "decision", "rule", "reason"}]}: accept only when the aliases select at least one
// pair of active devices and every pair is accepted. Errors: unknown aliases
// (InvalidArgument).
Result<nlohmann::json> test(const policy::Compiler& compiled, std::string_view src,
                            std::string_view dst, std::uint16_t port, int proto);

// The device's netmap (by id or name) as policy::to_json renders it, with "why" entries
// when explain. NotFound for an unknown device.
Result<nlohmann::json> netmap(const policy::Compiler& compiled, std::string_view device,
                              bool explain);

// "tcp" 6, "udp" 17, "icmp" 1, or a number "0".."255"; InvalidArgument otherwise.
Result<int> parse_proto(std::string_view text);

// The inventory file format of docs/policy.md ("The inventory file"); parse_inventory()
// of the result gives back an equal inventory.
nlohmann::json inventory_json(const policy::Inventory& inventory);

}  // namespace ward::review
