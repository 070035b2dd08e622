#include "controller/review/review.hpp"

#include <charconv>
#include <set>

#include "controller/policy/policy_parser.hpp"
#include "controller/policy/query.hpp"

namespace ward::review {
namespace {

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

std::size_t assertion_count(const policy::Policy& p) {
  std::size_t n = 0;
  for (const auto& t : p.tests)
    n += t.accept.size() + t.deny.size();
  return n;
}

// Devices whose peer set differs between the two compilations, by name.
nlohmann::json peer_changes(const policy::Compiler& after, const policy::Compiler& before) {
  nlohmann::json changes = nlohmann::json::array();
  std::set<std::string> ids;
  for (auto& id : after.device_ids())
    ids.insert(id);
  for (auto& id : before.device_ids())
    ids.insert(id);
  for (const std::string& id : ids) {
    const auto now_peers = peer_names(after, id);
    const auto old_peers = peer_names(before, id);
    nlohmann::json added = nlohmann::json::array(), removed = nlohmann::json::array();
    for (const auto& p : now_peers) {
      if (!old_peers.contains(p)) added.push_back(p);
    }
    for (const auto& p : old_peers) {
      if (!now_peers.contains(p)) removed.push_back(p);
    }
    if (added.empty() && removed.empty()) continue;
    const policy::Device* d = after.device(id);
    if (d == nullptr) d = before.device(id);
    changes.push_back({{"device", d != nullptr ? d->name : id},
                       {"peers_added", added},
                       {"peers_removed", removed}});
  }
  return changes;
}

}  // namespace

Result<CheckResult> check(const PolicyText& text, const policy::Inventory& inventory,
                          const policy::Compiler& baseline, policy::Time now) {
  CheckResult out;
  out.report = {{"ok", false},
                {"errors", nlohmann::json::array()},
                {"warnings", nlohmann::json::array()},
                {"tests", {{"passed", 0}, {"failed", nlohmann::json::array()}}},
                {"changes", nlohmann::json::array()}};
  auto parsed = policy::parse_policy(text.text, text.name);
  if (!parsed) {
    out.report["errors"].push_back(parsed.error().message());
    return out;
  }
  out.report["warnings"] = parsed->warnings;
  const std::size_t assertions = assertion_count(parsed->policy);
  auto policy = std::make_shared<const policy::Policy>(std::move(parsed->policy));
  auto compiled = policy::Compiler::create(policy, inventory, now);
  if (!compiled) return compiled.error().context("compiling against the inventory");

  const auto failures = policy::run_policy_tests(**compiled);
  for (const auto& f : failures)
    out.report["tests"]["failed"].push_back(f.message);
  out.report["tests"]["passed"] = assertions >= failures.size() ? assertions - failures.size() : 0;
  out.report["changes"] = peer_changes(**compiled, baseline);
  out.report["ok"] = failures.empty();
  out.policy = std::move(policy);
  out.compiled = std::move(*compiled);
  return out;
}

Result<nlohmann::json> test(const policy::Compiler& c, std::string_view src, std::string_view dst,
                            std::uint16_t port, int proto) {
  auto pairs = policy::evaluate_aliases(c, src, dst, port, proto);
  if (!pairs) return std::move(pairs).error();
  const policy::Policy& p = c.policy();
  nlohmann::json list = nlohmann::json::array();
  bool all = !pairs->empty();
  std::string rule;
  std::string reason = pairs->empty() ? "the aliases select no pair of active devices" : "";
  for (const auto& pd : *pairs) {
    const std::string ref = rule_ref(p, pd.decision);
    list.push_back({{"src", c.device(pd.src_device)->name},
                    {"dst", c.device(pd.dst_device)->name},
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

Result<nlohmann::json> netmap(const policy::Compiler& c, std::string_view device, bool explain) {
  const policy::Device* d = c.device(device);
  if (d == nullptr) d = c.device_by_name(device);
  if (d == nullptr) return Error::not_found("no device with id or name " + quote(device));
  auto m = c.netmap(d->id);
  if (!m) return Error::internal("no netmap for " + quote(d->id));
  return policy::to_json(*m, explain ? &c.policy() : nullptr);
}

Result<int> parse_proto(std::string_view text) {
  if (text == "tcp") return 6;
  if (text == "udp") return 17;
  if (text == "icmp") return 1;
  int n = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (!text.empty() && ec == std::errc() && ptr == end && n >= 0 && n <= 255) return n;
  return Error::invalid_argument("protocol " + quote(text) +
                                 ": expected tcp, udp, icmp or a number 0..255");
}

}  // namespace ward::review
