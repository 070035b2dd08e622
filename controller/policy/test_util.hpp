// Helpers shared by the policy unit tests.
#pragma once

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "controller/policy/compiler.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/policy/syntax.hpp"

namespace ward::policy::testing {

inline std::shared_ptr<const Policy> policy_from(std::string_view text) {
  auto r = parse_policy(text, "t.hujson");
  if (!r) FAIL(r.error().message());
  return std::make_shared<const Policy>(std::move(r->policy));
}

inline std::shared_ptr<const Policy> policy_file(const std::string& path) {
  auto r = parse_policy_file(path);
  if (!r) FAIL(r.error().message());
  return std::make_shared<const Policy>(std::move(r->policy));
}

inline Time at(std::string_view rfc3339) {
  return *parse_rfc3339(rfc3339);
}

inline std::unique_ptr<Compiler> compile(std::shared_ptr<const Policy> p, Inventory inv, Time now) {
  auto c = Compiler::create(std::move(p), std::move(inv), now);
  if (!c) FAIL(c.error().message());
  return std::move(*c);
}

}  // namespace ward::policy::testing
