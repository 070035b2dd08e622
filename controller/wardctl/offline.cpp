#include "controller/wardctl/offline.hpp"

#include <algorithm>
#include <set>

#include "controller/policy/compiler.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/policy/query.hpp"

namespace ward::wardctl {
namespace {

Result<std::unique_ptr<policy::Compiler>> compile(policy::Policy p,
                                                  const policy::Inventory& inventory,
                                                  policy::Time now) {
  return policy::Compiler::create(std::make_shared<const policy::Policy>(std::move(p)), inventory,
                                  now);
}

Result<std::unique_ptr<policy::Compiler>> parse_and_compile(const PolicyText& text,
                                                            const policy::Inventory& inventory,
                                                            policy::Time now) {
  auto parsed = policy::parse_policy(text.text, text.name);
  if (!parsed) return std::move(parsed).error();
  return compile(std::move(parsed->policy), inventory, now);
}

std::set<std::string> peer_names(const policy::Compiler& c, const std::string& id) {
  std::set<std::string> out;
  if (auto m = c.netmap(id)) {
    for (const auto& p : m->peers)
      out.insert(p.info->name);
  }
  return out;
}

std::string rule_ref(const policy::Policy& p, const policy::Decision& d) {
  if (d.rule && *d.rule < p.rules.size()) return p.rules[*d.rule].ref();
  return {};
}

}  // namespace

Result<nlohmann::json> offline_check(const PolicyText& text, const policy::Inventory& inventory,
                                     const std::optional<PolicyText>& baseline, policy::Time now) {
  nlohmann::json out = {{"ok", false},
                        {"errors", nlohmann::json::array()},
                        {"warnings", nlohmann::json::array()},
                        {"tests", {{"passed", 0}, {"failed", nlohmann::json::array()}}},
                        {"changes", nlohmann::json::array()}};
  auto parsed = policy::parse_policy(text.text, text.name);
  if (!parsed) {
    out["errors"].push_back(parsed.error().message());
    return out;
  }
  out["warnings"] = parsed->warnings;
  const std::size_t assertions = [&] {
    std::size_t n = 0;
    for (const auto& t : parsed->policy.tests)
      n += t.accept.size() + t.deny.size();
    return n;
  }();
  auto compiled = compile(std::move(parsed->policy), inventory, now);
  if (!compiled) return compiled.error().context("compiling against the inventory");
  const auto failures = policy::run_policy_tests(**compiled);
  for (const auto& f : failures)
    out["tests"]["failed"].push_back(f.message);
  out["tests"]["passed"] = assertions >= failures.size() ? assertions - failures.size() : 0;

  std::unique_ptr<policy::Compiler> before;
  if (baseline) {
    auto b = parse_and_compile(*baseline, inventory, now);
    if (!b) return b.error().context("the baseline policy");
    before = std::move(*b);
  } else {
    auto b = compile(policy::Policy{}, inventory, now);
    if (!b) return std::move(b).error();
    before = std::move(*b);
  }
  for (const std::string& id : (*compiled)->device_ids()) {
    const auto now_peers = peer_names(**compiled, id);
    const auto old_peers = peer_names(*before, id);
    nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array();
    for (const auto& p : now_peers) {
      if (!old_peers.contains(p)) added.push_back(p);
    }
    for (const auto& p : old_peers) {
      if (!now_peers.contains(p)) removed.push_back(p);
    }
    if (added.empty() && removed.empty()) continue;
    out["changes"].push_back({{"device", (*compiled)->device(id)->name},
                              {"peers_added", added},
                              {"peers_removed", removed}});
  }
  out["ok"] = failures.empty();
  return out;
}

Result<nlohmann::json> offline_test(const PolicyText& text, const policy::Inventory& inventory,
                                    std::string_view src, std::string_view dst, std::uint16_t port,
                                    int proto, policy::Time now) {
  auto c = parse_and_compile(text, inventory, now);
  if (!c) return std::move(c).error();
  auto pairs = policy::evaluate_aliases(**c, src, dst, port, proto);
  if (!pairs) return std::move(pairs).error();
  const policy::Policy& p = (*c)->policy();
  nlohmann::json list = nlohmann::json::array();
  bool all = !pairs->empty();
  std::string rule;
  std::string reason = pairs->empty() ? "the aliases select no pair of active devices" : "";
  for (const auto& pd : *pairs) {
    const std::string ref = rule_ref(p, pd.decision);
    list.push_back({{"src", (*c)->device(pd.src_device)->name},
                    {"dst", (*c)->device(pd.dst_device)->name},
                    {"decision", pd.decision.accept ? "accept" : "deny"},
                    {"rule", ref.empty() ? nlohmann::json(nullptr) : nlohmann::json(ref)},
                    {"reason", pd.decision.reason}});
    if (!pd.decision.accept && all) {
      all = false;
      reason = pd.decision.reason;
    }
    if (pd.decision.accept && rule.empty()) rule = ref;
  }
  if (all) reason = rule;
  return nlohmann::json{
      {"decision", all ? "accept" : "deny"},
      {"rule", all && !rule.empty() ? nlohmann::json(rule) : nlohmann::json(nullptr)},
      {"reason", reason},
      {"pairs", list}};
}

Result<nlohmann::json> offline_netmap(const PolicyText& text, const policy::Inventory& inventory,
                                      std::string_view device, bool explain, policy::Time now) {
  auto c = parse_and_compile(text, inventory, now);
  if (!c) return std::move(c).error();
  const policy::Device* d = (*c)->device(device);
  if (d == nullptr) d = (*c)->device_by_name(device);
  if (d == nullptr) {
    return Error::not_found("no device with id or name " + quote(device) + " in the inventory");
  }
  auto m = (*c)->netmap(d->id);
  if (!m) return Error::internal("no netmap for " + quote(d->id));
  return policy::to_json(*m, explain ? &(*c)->policy() : nullptr);
}

}  // namespace ward::wardctl
