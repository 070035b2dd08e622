#include "node/filter/render.hpp"

#include <algorithm>

namespace ward::node::filter {
namespace {

bool valid_iface(std::string_view iface) {
  if (iface.empty() || iface.size() > 15 || iface == "." || iface == "..") return false;
  return std::all_of(iface.begin(), iface.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool port_protocol(std::uint8_t p) {
  return p == 6 || p == 17 || p == 33 || p == 132;
}

std::string join_set(const std::vector<std::string>& items) {
  if (items.size() == 1) return items[0];
  std::string out = "{ ";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  out += " }";
  return out;
}

// One accept line for `family` (v4/v6) of `rule`, or "" when nothing of the rule applies
// to that family.
std::string accept_line(const FilterRule& rule, net::Family family) {
  // nft refuses overlapping elements in an interval set: keep only outermost prefixes.
  std::vector<net::Prefix> fam;
  for (const auto& p : rule.src)
    if (p.family() == family) fam.push_back(p);
  std::sort(fam.begin(), fam.end());
  std::vector<std::string> src;
  const net::Prefix* outer = nullptr;
  for (const auto& p : fam) {
    if (outer && outer->contains(p)) continue;
    outer = &p;
    src.push_back(p.is_host() ? p.address().to_string() : p.to_string());
  }
  if (src.empty()) return "";
  std::vector<std::uint8_t> protos;
  for (auto p : rule.proto) {
    if (family == net::Family::kV4 && p == 58) continue;
    if (family == net::Family::kV6 && p == 1) continue;
    protos.push_back(p);
  }
  std::sort(protos.begin(), protos.end());
  protos.erase(std::unique(protos.begin(), protos.end()), protos.end());
  if (!rule.proto.empty() && protos.empty()) return "";

  std::string line = family == net::Family::kV4 ? "ip saddr " : "ip6 saddr ";
  line += join_set(src);
  if (!protos.empty()) {
    std::vector<std::string> ps;
    for (auto p : protos)
      ps.push_back(std::to_string(p));
    line += " meta l4proto " + join_set(ps);
    const bool ports_ok = std::all_of(protos.begin(), protos.end(), port_protocol);
    if (!rule.ports.empty() && ports_ok) {
      std::vector<PortRange> sorted = rule.ports;
      std::sort(sorted.begin(), sorted.end());
      // Merge overlapping and adjacent ranges (nft refuses overlapping set elements).
      std::vector<PortRange> ranges;
      for (const auto& r : sorted) {
        if (!ranges.empty() && r.first <= static_cast<unsigned>(ranges.back().last) + 1) {
          ranges.back().last = std::max(ranges.back().last, r.last);
        } else {
          ranges.push_back(r);
        }
      }
      std::vector<std::string> items;
      for (const auto& r : ranges)
        items.push_back(r.first == r.last ? std::to_string(r.first)
                                          : std::to_string(r.first) + "-" + std::to_string(r.last));
      line += " th dport " + join_set(items);
    } else if (!rule.ports.empty()) {
      return "";  // ports on a protocol without ports: never widen to "any port"
    }
  }
  line += " accept";
  return line;
}

}  // namespace

Result<std::string> table_name(std::string_view iface) {
  if (!valid_iface(iface))
    return Error::invalid_argument(
        "expected an interface name of 1..15 characters [A-Za-z0-9_.-], got " + quote(iface));
  std::string name = "ward_";
  for (char c : iface)
    name.push_back((c == '-' || c == '.') ? '_' : c);
  return name;
}

Result<std::string> render_ruleset(std::string_view iface, const FilterRules& rules) {
  WARD_ASSIGN_OR_RETURN(std::string table, table_name(iface));
  const std::string qif = "\"" + std::string(iface) + "\"";
  std::string s;
  s += "table inet " + table + " {\n}\n";
  s += "flush table inet " + table + "\n";
  s += "table inet " + table + " {\n";
  s += "\tchain input {\n";
  s += "\t\ttype filter hook input priority filter; policy accept;\n";
  s += "\t\tiifname " + qif + " jump ward_in\n";
  s += "\t}\n";
  s += "\tchain forward {\n";
  s += "\t\ttype filter hook forward priority filter; policy accept;\n";
  s += "\t\tiifname " + qif + " counter drop comment \"ward: no forwarding from the tunnel\"\n";
  s += "\t}\n";
  s += "\tchain ward_in {\n";
  s += "\t\tct state established,related accept\n";
  s += "\t\tct state invalid counter drop\n";
  for (const FilterRule& rule : rules.inbound) {
    for (auto family : {net::Family::kV4, net::Family::kV6}) {
      const std::string line = accept_line(rule, family);
      if (!line.empty()) s += "\t\t" + line + "\n";
    }
  }
  s += "\t\tcounter drop comment \"ward: default drop\"\n";
  s += "\t}\n";
  s += "}\n";
  return s;
}

Result<std::string> render_remove(std::string_view iface) {
  WARD_ASSIGN_OR_RETURN(std::string table, table_name(iface));
  return "table inet " + table + " {\n}\ndelete table inet " + table + "\n";
}

}  // namespace ward::node::filter
