#include "controller/policy/policy.hpp"

#include <algorithm>

namespace ward::policy {

std::string Alias::key() const {
  switch (kind) {
    case AliasKind::kAll:
      return "*";
    case AliasKind::kUser:
      return "user:" + name;
    case AliasKind::kGroup:
      return name;
    case AliasKind::kTag:
      return name;
    case AliasKind::kPrefix:
      return "ip:" + prefix.to_string();
    case AliasKind::kMember:
      return "autogroup:member";
    case AliasKind::kTagged:
      return "autogroup:tagged";
    case AliasKind::kSelf:
      return "autogroup:self";
    case AliasKind::kDeviceName:
      return "device:" + name;
  }
  return text;
}

std::string Rule::ref() const {
  return std::string(kind == RuleKind::kAcl ? "acls[" : "grants[") + std::to_string(index) + "]";
}

ProtoSet default_protos() {
  ProtoSet s;
  s.set(kProtoTcp);
  s.set(kProtoUdp);
  s.set(kProtoIcmp);
  s.set(kProtoIcmpV6);
  return s;
}

bool ports_contain(const PortSet& ports, std::uint16_t port) {
  // ports is sorted and disjoint: find the last range starting at or before port.
  auto it = std::upper_bound(ports.begin(), ports.end(), port,
                             [](std::uint16_t p, const PortRange& r) { return p < r.first; });
  if (it == ports.begin()) return false;
  --it;
  return port <= it->last;
}

PortSet normalize_ports(PortSet ports) {
  std::sort(ports.begin(), ports.end());
  PortSet out;
  for (const PortRange& r : ports) {
    if (!out.empty() &&
        static_cast<unsigned>(r.first) <= static_cast<unsigned>(out.back().last) + 1) {
      out.back().last = std::max(out.back().last, r.last);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

std::string ports_to_string(const PortSet& ports) {
  if (ports.size() == 1 && ports[0].first == 0 && ports[0].last == 65535) return "*";
  std::string s;
  for (const PortRange& r : ports) {
    if (!s.empty()) s += ',';
    s += std::to_string(r.first);
    if (r.last != r.first) {
      // Two appends, not "-" + to_string(): g++ 12 at -O3 reports a false -Wrestrict on
      // the temporary's concatenation.
      s += '-';
      s += std::to_string(r.last);
    }
  }
  return s;
}

std::string protos_to_string(const ProtoSet& protos) {
  if (protos == default_protos()) return "tcp,udp,icmp";
  std::string s;
  for (int p = 0; p < 256; ++p) {
    if (!protos.test(static_cast<std::size_t>(p))) continue;
    if (!s.empty()) s += ',';
    switch (p) {
      case kProtoTcp:
        s += "tcp";
        break;
      case kProtoUdp:
        s += "udp";
        break;
      case kProtoIcmp:
        s += "icmp";
        break;
      case kProtoIcmpV6:
        s += "ipv6-icmp";
        break;
      case kProtoSctp:
        s += "sctp";
        break;
      default:
        s += std::to_string(p);
    }
  }
  return s;
}

}  // namespace ward::policy
