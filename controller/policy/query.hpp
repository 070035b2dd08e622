// Questions asked of a compiled policy: `wardctl policy test`, the policy's `tests`
// section, and per-device explanations. Answers come from the compiled netmaps — exactly
// what nodes enforce — never from a second reading of the policy text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "controller/policy/compiler.hpp"

namespace ward::policy {

struct Decision {
  bool accept = false;
  std::optional<std::uint32_t> rule;  // the deciding rule (index into Policy::rules)
  std::string reason;                 // "acls[2]" / "no rule matches" / "source ... is revoked"
};

// May device src send (proto, port) to device dst? Deny by default.
Decision evaluate(const Compiler& compiled, std::string_view src_device_id,
                  std::string_view dst_device_id, std::uint16_t port, int proto);
// As above with the destination given by overlay address.
Decision evaluate_to_address(const Compiler& compiled, std::string_view src_device_id,
                             const net::IpAddress& dst, std::uint16_t port, int proto);

struct PairDecision {
  std::string src_device;
  std::string dst_device;
  Decision decision;
};
// Every (active src device, active dst device) pair the two aliases select (src != dst).
// Alias text as `wardctl policy test` takes it (any policy alias or a device name).
Result<std::vector<PairDecision>> evaluate_aliases(const Compiler& compiled,
                                                   std::string_view src_alias,
                                                   std::string_view dst_alias, std::uint16_t port,
                                                   int proto);

struct TestFailure {
  std::size_t test = 0;  // index in `tests`
  std::string message;   // "policy.hujson:40:7: tests[2]: ... expected accept, got deny (...)"
};
// Runs the policy's `tests` section against the compiled inventory. An `accept`
// assertion needs every (src, dst) device pair accepted and fails if either side selects
// no active device; a `deny` assertion needs every pair denied. Returns every failure.
std::vector<TestFailure> run_policy_tests(const Compiler& compiled);

}  // namespace ward::policy
