#include "controller/policy/policy_parser.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "controller/policy/alias.hpp"
#include "controller/policy/hujson.hpp"
#include "controller/policy/posture.hpp"
#include "controller/policy/read_file.hpp"
#include "controller/policy/syntax.hpp"

namespace ward::policy {

namespace {

using hujson::Member;
using hujson::SourceMap;
using hujson::Value;

constexpr std::string_view kIgnoredSections[] = {"ssh",
                                                 "sshTests",
                                                 "nodeAttrs",
                                                 "autoApprovers",
                                                 "derpMap",
                                                 "randomizeClientPort",
                                                 "disableIPv4",
                                                 "OneCGNATRoute",
                                                 "attrs",
                                                 "ipsets",
                                                 "postureIntegrations",
                                                 "autogroups"};

class PolicyParser {
 public:
  PolicyParser(const hujson::Document& doc, ParsedPolicy& out)
      : src_(doc.source), root_(doc.root), out_(out), p_(out.policy) {}

  Status run() {
    p_.source_name = src_.name();
    if (!root_.is_object()) return type_error(root_, "an object at the top level");
    static constexpr std::string_view kKnown[] = {
        "groups", "tagOwners", "hosts", "acls", "grants", "postures", "defaultSrcPosture", "tests"};
    for (const Member& m : root_.members) {
      bool known = std::find(std::begin(kKnown), std::end(kKnown), m.key) != std::end(kKnown);
      bool ignored = std::find(std::begin(kIgnoredSections), std::end(kIgnoredSections), m.key) !=
                     std::end(kIgnoredSections);
      if (ignored) {
        warn(m.key_offset, "section " + quote(m.key) +
                               " is not implemented by Ward and is ignored (it grants nothing)");
      } else if (!known) {
        return src_.error(m.key_offset,
                          "unknown key " + quote(m.key) +
                              "; expected one of groups, tagOwners, hosts, acls, grants, "
                              "postures, defaultSrcPosture, tests (or an ignored Tailscale "
                              "section such as ssh or nodeAttrs)");
      }
    }
    // Definitions first, in dependency order, whatever order the file uses.
    if (const Value* v = root_.find("groups")) WARD_RETURN_IF_ERROR(parse_groups(*v));
    if (const Value* v = root_.find("tagOwners")) WARD_RETURN_IF_ERROR(parse_tag_owners(*v));
    if (const Value* v = root_.find("hosts")) WARD_RETURN_IF_ERROR(parse_hosts(*v));
    if (const Value* v = root_.find("postures")) WARD_RETURN_IF_ERROR(parse_postures(*v));
    if (const Value* v = root_.find("defaultSrcPosture")) {
      WARD_ASSIGN_OR_RETURN(default_posture_, parse_posture_refs(*v));
    }
    if (const Value* v = root_.find("acls")) WARD_RETURN_IF_ERROR(parse_acls(*v));
    if (const Value* v = root_.find("grants")) WARD_RETURN_IF_ERROR(parse_grants(*v));
    if (const Value* v = root_.find("tests")) WARD_RETURN_IF_ERROR(parse_tests(*v));
    return ok();
  }

 private:
  void warn(std::size_t offset, std::string msg) {
    out_.warnings.push_back(src_.where(offset) + ": " + std::move(msg));
  }

  Error type_error(const Value& v, std::string_view expected) const {
    return src_.error(v.offset, "expected " + std::string(expected) + ", found " +
                                    std::string(hujson::kind_name(v.kind)));
  }

  Status expect_kind(const Value& v, Value::Kind k, std::string_view what) const {
    if (v.kind != k) return type_error(v, what);
    return ok();
  }

  // Checks an object's keys against an allowed list.
  Status check_keys(const Value& obj, std::initializer_list<std::string_view> allowed,
                    std::string_view what) const {
    for (const Member& m : obj.members) {
      if (std::find(allowed.begin(), allowed.end(), m.key) == allowed.end()) {
        std::string list;
        for (std::string_view k : allowed) {
          if (!list.empty()) list += ", ";
          list += k;
        }
        return src_.error(m.key_offset, "unknown key " + quote(m.key) + " in " + std::string(what) +
                                            "; expected one of " + list);
      }
    }
    return ok();
  }

  Result<std::vector<const Value*>> string_list(const Value& v, std::string_view what) const {
    if (!v.is_array()) return type_error(v, "an array of strings for " + std::string(what));
    std::vector<const Value*> out;
    for (const Value& item : v.items) {
      if (!item.is_string()) return type_error(item, "a string in " + std::string(what));
      out.push_back(&item);
    }
    return out;
  }

  Status parse_groups(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kObject, "an object for groups"));
    std::map<std::string, const Member*> raw;
    for (const Member& m : v.members) {
      if (!m.key.starts_with("group:") || !valid_name(m.key.substr(6))) {
        return src_.error(m.key_offset, "bad group name " + quote(m.key) +
                                            "; expected group:<name> (letters, digits, - _ .)");
      }
      WARD_ASSIGN_OR_RETURN(auto members, string_list(m.value, m.key));
      for (const Value* item : members) {
        const std::string& s = item->text;
        if (s.starts_with("group:")) {
          if (!v.find(s)) {
            return src_.error(item->offset, "group " + quote(m.key) + " includes unknown group " +
                                                quote(s) +
                                                "; expected a group defined in `groups`");
          }
        } else if (!valid_email(s)) {
          return src_.error(item->offset, "bad member " + quote(s) + " of " + quote(m.key) +
                                              "; expected a user email or group:<name>");
        }
      }
      raw[m.key] = &m;
    }
    // Flatten, detecting cycles (DFS with an on-stack set).
    std::map<std::string, std::set<std::string>> done;
    std::vector<std::string> stack;
    std::function<Status(const std::string&)> visit = [&](const std::string& g) -> Status {
      if (done.contains(g)) return ok();
      stack.push_back(g);
      std::set<std::string> emails;
      const Member* m = raw.at(g);
      for (const Value& item : m->value.items) {
        const std::string& s = item.text;
        if (s.starts_with("group:")) {
          if (std::find(stack.begin(), stack.end(), s) != stack.end()) {
            std::string path;
            for (auto it = std::find(stack.begin(), stack.end(), s); it != stack.end(); ++it) {
              path += *it + " -> ";
            }
            return src_.error(item.offset, "group cycle " + path + s +
                                               "; expected groups to nest without cycles");
          }
          WARD_RETURN_IF_ERROR(visit(s));
          emails.insert(done[s].begin(), done[s].end());
        } else {
          emails.insert(lower_ascii(s));
        }
      }
      stack.pop_back();
      done[g] = std::move(emails);
      return ok();
    };
    for (const auto& [name, m] : raw)
      WARD_RETURN_IF_ERROR(visit(name));
    for (auto& [name, emails] : done)
      p_.groups[name] = {emails.begin(), emails.end()};
    return ok();
  }

  Status parse_tag_owners(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kObject, "an object for tagOwners"));
    for (const Member& m : v.members) {
      if (!m.key.starts_with("tag:") || !valid_name(m.key.substr(4))) {
        return src_.error(m.key_offset, "bad tag name " + quote(m.key) +
                                            "; expected tag:<name> (letters, digits, - _ .)");
      }
    }
    for (const Member& m : v.members) {
      WARD_ASSIGN_OR_RETURN(auto owners, string_list(m.value, m.key));
      std::vector<std::string> list;
      for (const Value* o : owners) {
        const std::string& s = o->text;
        if (s.starts_with("group:") && !p_.groups.contains(s)) {
          return src_.error(o->offset, "owner " + quote(s) + " of " + quote(m.key) +
                                           " is an unknown group; expected a group defined in "
                                           "`groups`");
        }
        if (s.starts_with("tag:") && !v.find(s)) {
          return src_.error(o->offset, "owner " + quote(s) + " of " + quote(m.key) +
                                           " is an undeclared tag; expected a tag in `tagOwners`");
        }
        if (!s.starts_with("group:") && !s.starts_with("tag:") && !s.starts_with("autogroup:") &&
            !valid_email(s)) {
          return src_.error(o->offset, "bad owner " + quote(s) + " of " + quote(m.key) +
                                           "; expected a user email, group:, tag: or autogroup:");
        }
        list.push_back(s.find('@') != std::string::npos ? lower_ascii(s) : s);
      }
      p_.tag_owners[m.key] = std::move(list);
    }
    return ok();
  }

  Status parse_hosts(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kObject, "an object for hosts"));
    for (const Member& m : v.members) {
      if (!valid_name(m.key) || std::isdigit(static_cast<unsigned char>(m.key[0]))) {
        return src_.error(m.key_offset, "bad host name " + quote(m.key) +
                                            "; expected letters, digits, - _ . not starting "
                                            "with a digit");
      }
      WARD_RETURN_IF_ERROR(
          expect_kind(m.value, Value::Kind::kString, "an IP address or CIDR string"));
      auto pr = net::Prefix::parse(m.value.text);
      if (!pr) return src_.error(m.value.offset, pr.error().message());
      p_.hosts[m.key] = *pr;
    }
    return ok();
  }

  Status parse_postures(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kObject, "an object for postures"));
    for (const Member& m : v.members) {
      if (!m.key.starts_with("posture:") || !valid_name(m.key.substr(8))) {
        return src_.error(m.key_offset,
                          "bad posture name " + quote(m.key) + "; expected posture:<name>");
      }
      WARD_ASSIGN_OR_RETURN(auto conds, string_list(m.value, m.key));
      Posture posture;
      posture.name = m.key;
      for (const Value* c : conds) {
        auto pc = parse_posture_condition(c->text);
        if (!pc) return src_.error(c->offset, pc.error().message());
        if (!is_known_posture_attribute(pc->attribute)) {
          warn(c->offset, "posture attribute " + quote(pc->attribute) +
                              " is not reported by Ward nodes unless a custom collector sets "
                              "it; until then the condition is false");
        }
        posture.conditions.push_back(std::move(*pc));
      }
      p_.postures[m.key] = std::move(posture);
    }
    return ok();
  }

  Result<std::vector<std::string>> parse_posture_refs(const Value& v) {
    WARD_ASSIGN_OR_RETURN(auto refs, string_list(v, "srcPosture"));
    std::vector<std::string> out;
    for (const Value* r : refs) {
      if (!p_.postures.contains(r->text)) {
        return src_.error(r->offset, "unknown posture " + quote(r->text) +
                                         "; expected a posture defined in `postures`");
      }
      out.push_back(r->text);
    }
    return out;
  }

  Result<Alias> alias_at(const Value& v, std::string_view text, bool allow_self) const {
    auto a = resolve_alias(p_, text, allow_self, false);
    if (!a) return src_.error(v.offset, a.error().message());
    a->offset = v.offset;
    return a;
  }

  Result<std::vector<Alias>> parse_src(const Value& v, std::string_view what) {
    WARD_ASSIGN_OR_RETURN(auto items, string_list(v, what));
    if (items.empty())
      return src_.error(v.offset, "empty " + std::string(what) + "; expected at least one alias");
    std::vector<Alias> out;
    for (const Value* s : items) {
      WARD_ASSIGN_OR_RETURN(Alias a, alias_at(*s, s->text, false));
      out.push_back(std::move(a));
    }
    return out;
  }

  // Splits "alias:ports" ("[v6]:ports" for IPv6).
  Result<std::pair<std::string, std::string>> split_dst(const Value& v) const {
    const std::string& t = v.text;
    if (!t.empty() && t[0] == '[') {
      std::size_t close = t.find(']');
      if (close == std::string::npos || close + 1 >= t.size() || t[close + 1] != ':') {
        return src_.error(
            v.offset, "bad destination " + quote(t) + "; expected [ipv6]:ports like [fd7a::1]:443");
      }
      return std::pair{t.substr(1, close - 1), t.substr(close + 2)};
    }
    std::size_t colon = t.rfind(':');
    if (colon == std::string::npos) {
      return src_.error(v.offset, "destination " + quote(t) +
                                      " has no ports; expected alias:ports like tag:ehr:443 "
                                      "or host:*");
    }
    return std::pair{t.substr(0, colon), t.substr(colon + 1)};
  }

  Status parse_expires(const Value& obj, Rule& r) {
    if (const Value* e = obj.find("expires")) {
      WARD_RETURN_IF_ERROR(expect_kind(*e, Value::Kind::kString, "an RFC 3339 time string"));
      auto t = parse_rfc3339(e->text);
      if (!t) return src_.error(e->offset, t.error().message());
      r.expires = *t;
    }
    return ok();
  }

  Status parse_rule_posture(const Value& obj, Rule& r) {
    if (const Value* sp = obj.find("srcPosture")) {
      WARD_ASSIGN_OR_RETURN(r.src_posture, parse_posture_refs(*sp));
    } else {
      r.src_posture = default_posture_;
    }
    return ok();
  }

  Status parse_acls(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kArray, "an array for acls"));
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      const Value& obj = v.items[i];
      WARD_RETURN_IF_ERROR(expect_kind(obj, Value::Kind::kObject, "an object in acls"));
      WARD_RETURN_IF_ERROR(check_keys(
          obj, {"action", "src", "dst", "proto", "srcPosture", "expires", "users", "ports"},
          "an acl"));
      Rule r;
      r.kind = RuleKind::kAcl;
      r.index = i;
      r.offset = obj.offset;
      const Value* action = obj.find("action");
      if (!action) return src_.error(obj.offset, "acl has no \"action\"; expected \"accept\"");
      if (!action->is_string() || action->text != "accept") {
        return src_.error(action->offset,
                          "unsupported action" +
                              (action->is_string() ? " " + quote(action->text) : std::string()) +
                              "; expected \"accept\" (rules only allow)");
      }
      const Value* srcv = obj.find("src");
      const Value* users = obj.find("users");
      if (srcv && users) {
        return src_.error(users->offset, "acl has both \"src\" and legacy \"users\"; expected one");
      }
      if (!srcv) srcv = users;
      if (!srcv) return src_.error(obj.offset, "acl has no \"src\"; expected a list of aliases");
      const Value* dstv = obj.find("dst");
      const Value* ports = obj.find("ports");
      if (dstv && ports) {
        return src_.error(ports->offset, "acl has both \"dst\" and legacy \"ports\"; expected one");
      }
      if (!dstv) dstv = ports;
      if (!dstv) {
        return src_.error(obj.offset, "acl has no \"dst\"; expected a list of alias:ports");
      }
      WARD_ASSIGN_OR_RETURN(r.src, parse_src(*srcv, "src"));
      ProtoSet protos = default_protos();
      bool explicit_proto = false;
      if (const Value* pv = obj.find("proto")) {
        std::string ptext;
        if (pv->is_string())
          ptext = pv->text;
        else if (pv->is_number())
          ptext = pv->text;
        else
          return type_error(*pv, "a protocol name or number");
        auto ps = parse_protocol(ptext);
        if (!ps) return src_.error(pv->offset, ps.error().message());
        protos = *ps;
        explicit_proto = true;
      }
      WARD_ASSIGN_OR_RETURN(auto dsts, string_list(*dstv, "dst"));
      if (dsts.empty()) {
        return src_.error(dstv->offset, "empty dst; expected at least one alias:ports");
      }
      for (const Value* d : dsts) {
        WARD_ASSIGN_OR_RETURN(auto parts, split_dst(*d));
        DstEntry e;
        WARD_ASSIGN_OR_RETURN(e.alias, alias_at(*d, parts.first, true));
        auto ps = parse_ports(parts.second);
        if (!ps) return src_.error(d->offset, ps.error().message());
        e.ports = std::move(*ps);
        e.protos = protos;
        if (explicit_proto && ports_to_string(e.ports) != "*") {
          bool any_ports = false;
          for (int pr = 0; pr < 256; ++pr)
            any_ports = any_ports || (protos.test(pr) && proto_has_ports(pr));
          if (!any_ports) {
            return src_.error(d->offset, "ports in " + quote(d->text) +
                                             " have no meaning for proto " +
                                             protos_to_string(protos) +
                                             "; expected * (only tcp, udp and sctp have ports)");
          }
        }
        r.dst.push_back(std::move(e));
      }
      WARD_RETURN_IF_ERROR(parse_rule_posture(obj, r));
      WARD_RETURN_IF_ERROR(parse_expires(obj, r));
      p_.rules.push_back(std::move(r));
    }
    return ok();
  }

  // One `ip` entry of a grant: "*", "443", "80-90", "tcp:443", "icmp:*", "6:22".
  Result<std::pair<ProtoSet, PortSet>> parse_ip_spec(const Value& v) const {
    const std::string& t = v.text;
    if (t == "*") return std::pair{default_protos(), PortSet{{0, 65535}}};
    std::size_t colon = t.find(':');
    ProtoSet protos = default_protos();
    std::string ports = t;
    if (colon != std::string::npos) {
      auto ps = parse_protocol(t.substr(0, colon));
      if (!ps) return src_.error(v.offset, ps.error().message());
      protos = *ps;
      ports = t.substr(colon + 1);
    }
    auto pp = parse_ports(ports);
    if (!pp) return src_.error(v.offset, pp.error().message());
    return std::pair{protos, std::move(*pp)};
  }

  Status parse_grants(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kArray, "an array for grants"));
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      const Value& obj = v.items[i];
      WARD_RETURN_IF_ERROR(expect_kind(obj, Value::Kind::kObject, "an object in grants"));
      WARD_RETURN_IF_ERROR(
          check_keys(obj, {"src", "dst", "ip", "app", "via", "srcPosture", "expires"}, "a grant"));
      Rule r;
      r.kind = RuleKind::kGrant;
      r.index = i;
      r.offset = obj.offset;
      const Value* srcv = obj.find("src");
      const Value* dstv = obj.find("dst");
      if (!srcv) return src_.error(obj.offset, "grant has no \"src\"; expected a list of aliases");
      if (!dstv) return src_.error(obj.offset, "grant has no \"dst\"; expected a list of aliases");
      WARD_ASSIGN_OR_RETURN(r.src, parse_src(*srcv, "src"));
      WARD_ASSIGN_OR_RETURN(auto dsts, string_list(*dstv, "dst"));
      if (dsts.empty()) return src_.error(dstv->offset, "empty dst; expected at least one alias");
      std::vector<Alias> dst_aliases;
      for (const Value* d : dsts) {
        WARD_ASSIGN_OR_RETURN(Alias a, alias_at(*d, d->text, true));
        dst_aliases.push_back(std::move(a));
      }
      std::vector<std::pair<ProtoSet, PortSet>> specs;
      if (const Value* ipv = obj.find("ip")) {
        WARD_ASSIGN_OR_RETURN(auto ips, string_list(*ipv, "ip"));
        for (const Value* s : ips) {
          WARD_ASSIGN_OR_RETURN(auto spec, parse_ip_spec(*s));
          specs.push_back(std::move(spec));
        }
      }
      if (const Value* app = obj.find("app")) {
        warn(app->offset,
             "grant application capabilities (\"app\") are not implemented by "
             "Ward and are ignored");
      }
      WARD_RETURN_IF_ERROR(parse_rule_posture(obj, r));
      WARD_RETURN_IF_ERROR(parse_expires(obj, r));
      if (const Value* via = obj.find("via")) {
        warn(via->offset, "grants[" + std::to_string(i) +
                              "] uses \"via\" (routing through a node), which Ward does not "
                              "implement; the whole grant is ignored");
        continue;
      }
      if (specs.empty()) {
        warn(obj.offset,
             "grants[" + std::to_string(i) + "] has no \"ip\" and allows no network traffic");
        continue;
      }
      for (const Alias& a : dst_aliases) {
        for (const auto& [protos, ports] : specs)
          r.dst.push_back({a, ports, protos});
      }
      p_.rules.push_back(std::move(r));
    }
    return ok();
  }

  Result<PolicyTest::Target> parse_test_target(const Value& v) const {
    PolicyTest::Target t;
    t.text = v.text;
    t.offset = v.offset;
    t.where = src_.where(v.offset);
    WARD_ASSIGN_OR_RETURN(auto parts, split_dst(v));
    auto a = resolve_alias(p_, parts.first, false, true);
    if (!a) return src_.error(v.offset, a.error().message());
    t.alias = std::move(*a);
    t.alias.offset = v.offset;
    auto ps = parse_ports(parts.second);
    if (!ps || ps->size() != 1 || (*ps)[0].first != (*ps)[0].last) {
      return src_.error(v.offset, "test destination " + quote(v.text) +
                                      " needs exactly one port; expected alias:port");
    }
    t.port = (*ps)[0].first;
    return t;
  }

  Status parse_tests(const Value& v) {
    WARD_RETURN_IF_ERROR(expect_kind(v, Value::Kind::kArray, "an array for tests"));
    for (std::size_t i = 0; i < v.items.size(); ++i) {
      const Value& obj = v.items[i];
      WARD_RETURN_IF_ERROR(expect_kind(obj, Value::Kind::kObject, "an object in tests"));
      WARD_RETURN_IF_ERROR(check_keys(obj, {"src", "accept", "deny", "proto"}, "a test"));
      PolicyTest t;
      t.index = i;
      t.offset = obj.offset;
      t.where = src_.where(obj.offset);
      const Value* sv = obj.find("src");
      if (!sv) return src_.error(obj.offset, "test has no \"src\"; expected an alias");
      WARD_RETURN_IF_ERROR(expect_kind(*sv, Value::Kind::kString, "an alias string"));
      auto a = resolve_alias(p_, sv->text, false, true);
      if (!a) return src_.error(sv->offset, a.error().message());
      t.src = std::move(*a);
      t.src.offset = sv->offset;
      if (const Value* pv = obj.find("proto")) {
        if (!pv->is_string() && !pv->is_number()) return type_error(*pv, "a protocol");
        auto ps = parse_protocol(pv->text);
        if (!ps) return src_.error(pv->offset, ps.error().message());
        if (ps->count() != 1 && *ps != *parse_protocol("icmp")) {
          return src_.error(pv->offset, "expected a single protocol in a test");
        }
        for (int pr = 0; pr < 256; ++pr) {
          if (ps->test(pr)) {
            t.proto = pr;
            break;
          }
        }
      }
      for (const char* key : {"accept", "deny"}) {
        if (const Value* lv = obj.find(key)) {
          WARD_ASSIGN_OR_RETURN(auto items, string_list(*lv, key));
          for (const Value* item : items) {
            WARD_ASSIGN_OR_RETURN(auto target, parse_test_target(*item));
            (std::string_view(key) == "accept" ? t.accept : t.deny).push_back(std::move(target));
          }
        }
      }
      if (t.accept.empty() && t.deny.empty()) {
        return src_.error(obj.offset, "test asserts nothing; expected \"accept\" or \"deny\"");
      }
      p_.tests.push_back(std::move(t));
    }
    return ok();
  }

  const SourceMap& src_;
  const Value& root_;
  ParsedPolicy& out_;
  Policy& p_;
  std::vector<std::string> default_posture_;
};

}  // namespace

Result<ParsedPolicy> parse_policy(std::string_view text, std::string name) {
  WARD_ASSIGN_OR_RETURN(hujson::Document doc, hujson::parse(text, std::move(name)));
  ParsedPolicy out;
  PolicyParser parser(doc, out);
  WARD_RETURN_IF_ERROR(parser.run());
  return out;
}

Result<ParsedPolicy> parse_policy_file(const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string text, read_small_file(path, hujson::kMaxInputBytes));
  return parse_policy(text, path);
}

Result<Alias> parse_query_alias(const Policy& policy, std::string_view text) {
  return resolve_alias(policy, text, false, true);
}

}  // namespace ward::policy
