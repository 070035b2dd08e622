// The policy model: what a parsed policy file says, independent of any inventory.
//
// A Policy is an immutable value produced by parse_policy() (policy_parser.hpp). Every
// name it refers to has been checked at parse time (groups, tags, hosts, postures), so
// the compiler never meets an unknown alias. ACLs and grants are both lowered to Rule:
// a list of source aliases, a list of destination entries (alias, ports, protocols),
// optional required postures and an optional expiry. Rules only ever ALLOW; anything no
// rule allows is denied.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/net/ip.hpp"

namespace ward::policy {

// Seconds since the Unix epoch, UTC. All time in this library is passed in, never read.
using Time = std::chrono::sys_seconds;

enum class AliasKind {
  kAll,         // "*": every device
  kUser,        // "alice@example.org": the user's untagged devices
  kGroup,       // "group:x": untagged devices of the group's users
  kTag,         // "tag:x": devices carrying the tag
  kPrefix,      // an IP address, a CIDR or a host name: devices whose overlay address is in it
  kMember,      // "autogroup:member": every untagged device owned by a user
  kTagged,      // "autogroup:tagged": every tagged device
  kSelf,        // "autogroup:self" (destinations only): the source user's own untagged devices
  kDeviceName,  // only in `tests` and queries: a device by its name
};

struct Alias {
  AliasKind kind = AliasKind::kAll;
  std::string name;    // email, group/tag/host/device name, as written (emails lower-cased)
  net::Prefix prefix;  // kPrefix only (host names resolved through `hosts`)
  std::string text;    // the alias as written, for messages and explain output
  std::size_t offset = 0;

  // Identity of what the alias selects (two aliases with equal keys select the same set).
  std::string key() const;
};

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
  friend auto operator<=>(const PortRange&, const PortRange&) = default;
};

// Sorted, non-overlapping, non-adjacent ranges ("*" is {0-65535}).
using PortSet = std::vector<PortRange>;

// IANA protocol numbers 0..255.
using ProtoSet = std::bitset<256>;

inline constexpr std::uint8_t kProtoIcmp = 1;
inline constexpr std::uint8_t kProtoTcp = 6;
inline constexpr std::uint8_t kProtoUdp = 17;
inline constexpr std::uint8_t kProtoIcmpV6 = 58;
inline constexpr std::uint8_t kProtoSctp = 132;

// tcp, udp, icmp, ipv6-icmp: what a rule without `proto` allows (as Tailscale does).
ProtoSet default_protos();
// Only TCP, UDP and SCTP have ports; for other protocols a rule's ports are ignored.
inline bool proto_has_ports(int proto) {
  return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp;
}
bool ports_contain(const PortSet& ports, std::uint16_t port);
// The one definition of "this rule part allows this packet", shared by the compiled
// filter, the query API and the tests.
inline bool ports_protos_allow(const PortSet& ports, const ProtoSet& protos, int proto,
                               std::uint16_t port) {
  if (proto < 0 || proto > 255 || !protos.test(static_cast<std::size_t>(proto))) return false;
  return !proto_has_ports(proto) || ports_contain(ports, port);
}
// Sorts and merges ranges into canonical form.
PortSet normalize_ports(PortSet ports);
std::string ports_to_string(const PortSet& ports);
std::string protos_to_string(const ProtoSet& protos);

struct DstEntry {
  Alias alias;
  PortSet ports;
  ProtoSet protos;
};

enum class RuleKind { kAcl, kGrant };

struct Rule {
  RuleKind kind = RuleKind::kAcl;
  std::size_t index = 0;  // position within `acls` or `grants`
  std::size_t offset = 0;
  std::vector<Alias> src;
  std::vector<DstEntry> dst;
  // Names of postures; the source device must satisfy at least one. Empty: none needed
  // (defaultSrcPosture, if any, has already been filled in by the parser).
  std::vector<std::string> src_posture;
  std::optional<Time> expires;  // the rule allows nothing from this instant on

  // "acls[3]" or "grants[0]".
  std::string ref() const;
  bool live_at(Time now) const { return !expires || now < *expires; }
};

enum class PostureOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kIsSet, kNotSet };

struct PostureCondition {
  std::string attribute;  // "node:os", "custom:mdm", ...
  PostureOp op = PostureOp::kEq;
  std::vector<std::string> values;  // one for comparisons, several for IN / NOT IN
  std::string text;                 // as written
};

struct Posture {
  std::string name;                          // "posture:latestMac"
  std::vector<PostureCondition> conditions;  // all must hold
};

struct PolicyTest {
  std::size_t index = 0;
  std::size_t offset = 0;
  std::string where;  // "policy.hujson:38:5"
  Alias src;
  struct Target {
    Alias alias;
    std::uint16_t port = 0;
    std::string text;
    std::size_t offset = 0;
    std::string where;  // "policy.hujson:40:7"
  };
  std::vector<Target> accept;
  std::vector<Target> deny;
  int proto = kProtoTcp;
};

struct Policy {
  // group name -> member emails, nested groups already flattened, sorted, unique.
  std::map<std::string, std::vector<std::string>> groups;
  std::map<std::string, std::vector<std::string>> tag_owners;
  std::map<std::string, net::Prefix> hosts;
  std::map<std::string, Posture> postures;
  std::vector<Rule> rules;  // acls first, then grants, in file order
  std::vector<PolicyTest> tests;
  std::string source_name;  // for messages ("policy.hujson")

  // True when the policy allows nothing at all (deny by default).
  bool empty() const { return rules.empty(); }
};

}  // namespace ward::policy
