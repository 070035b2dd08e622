#include "controller/policy/query.hpp"

#include "controller/policy/policy_parser.hpp"
#include "controller/policy/syntax.hpp"

namespace ward::policy {

namespace {

Decision deny(std::string reason) {
  return {false, std::nullopt, std::move(reason)};
}

Decision decide(const Compiler& c, const Device& s, const Device& d, std::uint16_t port,
                int proto) {
  if (s.status != DeviceStatus::kActive) {
    return deny("source device " + s.name + " is " + std::string(device_status_name(s.status)));
  }
  if (d.status != DeviceStatus::kActive) {
    return deny("destination device " + d.name + " is " +
                std::string(device_status_name(d.status)));
  }
  if (s.id == d.id) return deny("source and destination are the same device");
  auto m = c.netmap(d.id);
  if (!m || !m->find_peer(s.id)) return deny("no rule matches");
  for (const auto& a : {s.overlay_v4, s.overlay_v6}) {
    if (!a) continue;
    if (const FilterRule* f = m->match(*a, proto, port)) {
      return {true, f->rule, explain_rule(c.policy(), f->rule)};
    }
  }
  return deny("no rule matches");
}

std::string proto_name(int proto) {
  ProtoSet p;
  if (proto >= 0 && proto < 256) p.set(static_cast<std::size_t>(proto));
  return protos_to_string(p);
}

}  // namespace

Decision evaluate(const Compiler& c, std::string_view src_id, std::string_view dst_id,
                  std::uint16_t port, int proto) {
  const Device* s = c.device(src_id);
  const Device* d = c.device(dst_id);
  if (!s) return deny("unknown source device " + quote(src_id));
  if (!d) return deny("unknown destination device " + quote(dst_id));
  return decide(c, *s, *d, port, proto);
}

Decision evaluate_to_address(const Compiler& c, std::string_view src_id, const net::IpAddress& dst,
                             std::uint16_t port, int proto) {
  const Device* s = c.device(src_id);
  if (!s) return deny("unknown source device " + quote(src_id));
  const Device* d = c.device_by_address(dst);
  if (!d) return deny("no device has overlay address " + dst.to_string());
  return decide(c, *s, *d, port, proto);
}

Result<std::vector<PairDecision>> evaluate_aliases(const Compiler& c, std::string_view src_alias,
                                                   std::string_view dst_alias, std::uint16_t port,
                                                   int proto) {
  WARD_ASSIGN_OR_RETURN(Alias sa, parse_query_alias(c.policy(), src_alias));
  WARD_ASSIGN_OR_RETURN(Alias da, parse_query_alias(c.policy(), dst_alias));
  std::vector<PairDecision> out;
  for (const std::string& s : c.resolve(sa)) {
    for (const std::string& d : c.resolve(da)) {
      if (s == d) continue;
      out.push_back({s, d, evaluate(c, s, d, port, proto)});
    }
  }
  return out;
}

std::vector<TestFailure> run_policy_tests(const Compiler& c) {
  std::vector<TestFailure> out;
  const Policy& p = c.policy();
  for (const PolicyTest& t : p.tests) {
    std::vector<std::string> srcs = c.resolve(t.src);
    auto check = [&](const PolicyTest::Target& target, bool want_accept) {
      std::string head = target.where + ": tests[" + std::to_string(t.index) + "]: ";
      std::string what = t.src.text + " -> " + target.text + " (" + proto_name(t.proto) + ")";
      std::vector<std::string> dsts = c.resolve(target.alias);
      if (want_accept && srcs.empty()) {
        out.push_back({t.index, head + what + ": expected accept, but src " + quote(t.src.text) +
                                    " selects no active device"});
        return;
      }
      if (want_accept && dsts.empty()) {
        out.push_back({t.index, head + what + ": expected accept, but destination " +
                                    quote(target.text) + " selects no active device"});
        return;
      }
      for (const std::string& s : srcs) {
        for (const std::string& d : dsts) {
          if (s == d) continue;
          Decision dec = evaluate(c, s, d, target.port, t.proto);
          if (dec.accept != want_accept) {
            out.push_back({t.index, head + what + ": expected " +
                                        (want_accept ? "accept" : "deny") + ", got " +
                                        (dec.accept ? "accept" : "deny") + " (" + dec.reason +
                                        ") from device " + c.device(s)->name + " to device " +
                                        c.device(d)->name});
            return;  // one failing pair per assertion is enough to act on
          }
        }
      }
    };
    for (const auto& target : t.accept)
      check(target, true);
    for (const auto& target : t.deny)
      check(target, false);
  }
  return out;
}

}  // namespace ward::policy
