#include "controller/wardctl/offline.hpp"

#include "controller/policy/compiler.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/review/review.hpp"

namespace ward::wardctl {
namespace {

Result<std::unique_ptr<policy::Compiler>> parse_and_compile(const PolicyText& text,
                                                            const policy::Inventory& inventory,
                                                            policy::Time now) {
  auto parsed = policy::parse_policy(text.text, text.name);
  if (!parsed) return std::move(parsed).error();
  return policy::Compiler::create(std::make_shared<const policy::Policy>(std::move(parsed->policy)),
                                  inventory, now);
}

}  // namespace

Result<nlohmann::json> offline_check(const PolicyText& text, const policy::Inventory& inventory,
                                     const std::optional<PolicyText>& baseline, policy::Time now) {
  std::unique_ptr<policy::Compiler> before;
  if (baseline) {
    auto b = parse_and_compile(*baseline, inventory, now);
    if (!b) return b.error().context("the baseline policy");
    before = std::move(*b);
  } else {
    auto b = policy::Compiler::create(std::make_shared<const policy::Policy>(), inventory, now);
    if (!b) return std::move(b).error();
    before = std::move(*b);
  }
  auto r = review::check({text.text, text.name}, inventory, *before, now);
  if (!r) return std::move(r).error();
  return std::move(r->report);
}

Result<nlohmann::json> offline_test(const PolicyText& text, const policy::Inventory& inventory,
                                    std::string_view src, std::string_view dst, std::uint16_t port,
                                    int proto, policy::Time now) {
  auto c = parse_and_compile(text, inventory, now);
  if (!c) return std::move(c).error();
  return review::test(**c, src, dst, port, proto);
}

Result<nlohmann::json> offline_netmap(const PolicyText& text, const policy::Inventory& inventory,
                                      std::string_view device, bool explain, policy::Time now) {
  auto c = parse_and_compile(text, inventory, now);
  if (!c) return std::move(c).error();
  auto r = review::netmap(**c, device, explain);
  if (!r && r.error().code() == ErrorCode::kNotFound) {
    return Error::not_found("no device with id or name " + quote(device) + " in the inventory");
  }
  return r;
}

}  // namespace ward::wardctl
