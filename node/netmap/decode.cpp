#include "node/netmap/decode.hpp"

#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace ward::node {
namespace {

using Json = nlohmann::json;

Error at(const std::string& path, std::string msg) {
  return Error::invalid_argument(path + ": " + std::move(msg));
}

std::string type_of(const Json& j) {
  return j.type_name();
}

// Checks that every key of obj is in `allowed`.
Status only_keys(const Json& obj, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (auto k : allowed)
      known = known || it.key() == k;
    if (!known) return at(path, "unknown field " + quote(it.key()));
  }
  return ok();
}

Result<const Json*> field(const Json& obj, const std::string& path, const char* key,
                          bool required = true) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return at(path, std::string("missing required field \"") + key + "\"");
    return static_cast<const Json*>(nullptr);
  }
  return &*it;
}

Result<const Json*> object_field(const Json& obj, const std::string& path, const char* key,
                                 bool required = true) {
  WARD_ASSIGN_OR_RETURN(const Json* j, field(obj, path, key, required));
  if (j && !j->is_object()) return at(path + "." + key, "expected an object, got " + type_of(*j));
  return j;
}

Result<const Json*> array_field(const Json& obj, const std::string& path, const char* key,
                                std::size_t max, bool required = true) {
  WARD_ASSIGN_OR_RETURN(const Json* j, field(obj, path, key, required));
  if (!j) return j;
  if (!j->is_array()) return at(path + "." + key, "expected an array, got " + type_of(*j));
  if (j->size() > max)
    return at(path + "." + key, "too many entries: " + std::to_string(j->size()) + " (at most " +
                                    std::to_string(max) + ")");
  return j;
}

Result<std::uint64_t> as_uint(const Json& j, const std::string& path, std::uint64_t max) {
  if (!j.is_number_integer()) return at(path, "expected a non-negative integer, got " + type_of(j));
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    return at(path,
              "expected a non-negative integer, got " + std::to_string(j.get<std::int64_t>()));
  }
  const auto v = j.get<std::uint64_t>();
  if (v > max)
    return at(path,
              "expected an integer at most " + std::to_string(max) + ", got " + std::to_string(v));
  return v;
}

Result<std::string> as_string(const Json& j, const std::string& path, std::size_t max) {
  if (!j.is_string()) return at(path, "expected a string, got " + type_of(j));
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max)
    return at(path, "string too long: " + std::to_string(s.size()) + " bytes (at most " +
                        std::to_string(max) + ")");
  return s;
}

Result<std::uint64_t> serial_field(const Json& obj, const std::string& path, const char* key) {
  WARD_ASSIGN_OR_RETURN(const Json* j, field(obj, path, key));
  // Serials stay within the range a JSON double represents exactly, as the controller
  // may be read by other JSON stacks.
  return as_uint(*j, path + "." + key, (std::uint64_t{1} << 53));
}

template <class T, class F>
Result<std::vector<T>> parse_list(const Json& arr, const std::string& path, F&& each) {
  std::vector<T> out;
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    WARD_ASSIGN_OR_RETURN(T v, each(arr[i], p));
    out.push_back(std::move(v));
  }
  return out;
}

Result<net::Prefix> parse_prefix(const Json& j, const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string s, as_string(j, path, 64));
  auto p = net::Prefix::parse(s);
  if (!p) return at(path, p.error().message());
  // A bare address would parse as a host prefix; the protocol always writes the length.
  if (s.find('/') == std::string::npos)
    return at(path, "expected a prefix with /LENGTH, got " + quote(s));
  return *p;
}

Result<net::InterfaceAddress> parse_if_address(const Json& j, const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string s, as_string(j, path, 64));
  auto a = net::InterfaceAddress::parse(s);
  if (!a) return at(path, a.error().message());
  return *a;
}

Result<WgKey> parse_key(const Json& j, const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string s, as_string(j, path, 64));
  auto k = WgKey::from_base64(s);
  if (!k) return at(path, k.error().message());
  return *k;
}

Result<Peer> parse_peer(const Json& j, const std::string& path, const DecodeLimits& lim) {
  if (!j.is_object()) return at(path, "expected a peer object, got " + type_of(j));
  WARD_RETURN_IF_ERROR(only_keys(
      j, path, {"id", "name", "public_key", "allowed_ips", "endpoints", "persistent_keepalive"}));
  Peer peer;
  WARD_ASSIGN_OR_RETURN(const Json* id, field(j, path, "id"));
  WARD_ASSIGN_OR_RETURN(peer.id, as_string(*id, path + ".id", lim.max_string_bytes));
  WARD_ASSIGN_OR_RETURN(const Json* name, field(j, path, "name", false));
  if (name) {
    WARD_ASSIGN_OR_RETURN(peer.name, as_string(*name, path + ".name", lim.max_string_bytes));
  }
  WARD_ASSIGN_OR_RETURN(const Json* key, field(j, path, "public_key"));
  WARD_ASSIGN_OR_RETURN(peer.public_key, parse_key(*key, path + ".public_key"));
  WARD_ASSIGN_OR_RETURN(const Json* aips,
                        array_field(j, path, "allowed_ips", lim.max_allowed_ips_per_peer));
  WARD_ASSIGN_OR_RETURN(peer.allowed_ips,
                        parse_list<net::Prefix>(*aips, path + ".allowed_ips", parse_prefix));
  WARD_ASSIGN_OR_RETURN(const Json* eps,
                        array_field(j, path, "endpoints", lim.max_endpoints_per_peer, false));
  if (eps) {
    auto parse_ep = [](const Json& e, const std::string& p) -> Result<Endpoint> {
      WARD_ASSIGN_OR_RETURN(std::string s, as_string(e, p, 64));
      auto ep = Endpoint::parse(s);
      if (!ep) return at(p, ep.error().message());
      return *ep;
    };
    WARD_ASSIGN_OR_RETURN(peer.endpoints,
                          parse_list<Endpoint>(*eps, path + ".endpoints", parse_ep));
  }
  WARD_ASSIGN_OR_RETURN(const Json* ka, field(j, path, "persistent_keepalive", false));
  if (ka && !ka->is_null()) {
    WARD_ASSIGN_OR_RETURN(auto v, as_uint(*ka, path + ".persistent_keepalive", 65535));
    peer.persistent_keepalive = static_cast<std::uint16_t>(v);
  }
  return peer;
}

Result<FilterRule> parse_rule(const Json& j, const std::string& path, const DecodeLimits& lim) {
  if (!j.is_object()) return at(path, "expected a rule object, got " + type_of(j));
  WARD_RETURN_IF_ERROR(only_keys(j, path, {"src", "proto", "ports"}));
  FilterRule rule;
  WARD_ASSIGN_OR_RETURN(const Json* src, array_field(j, path, "src", lim.max_src_per_rule));
  WARD_ASSIGN_OR_RETURN(rule.src, parse_list<net::Prefix>(*src, path + ".src", parse_prefix));
  WARD_ASSIGN_OR_RETURN(const Json* proto, array_field(j, path, "proto", 256));
  auto parse_proto = [](const Json& e, const std::string& p) -> Result<std::uint8_t> {
    WARD_ASSIGN_OR_RETURN(auto v, as_uint(e, p, 255));
    return static_cast<std::uint8_t>(v);
  };
  WARD_ASSIGN_OR_RETURN(rule.proto, parse_list<std::uint8_t>(*proto, path + ".proto", parse_proto));
  WARD_ASSIGN_OR_RETURN(const Json* ports, array_field(j, path, "ports", lim.max_ports_per_rule));
  auto parse_range = [](const Json& e, const std::string& p) -> Result<PortRange> {
    if (!e.is_array() || e.size() != 2)
      return at(p, "expected a port range [FIRST, LAST], got " + e.dump().substr(0, 64));
    WARD_ASSIGN_OR_RETURN(auto first, as_uint(e[0], p + "[0]", 65535));
    WARD_ASSIGN_OR_RETURN(auto last, as_uint(e[1], p + "[1]", 65535));
    if (first < 1 || first > last)
      return at(p, "expected 1 <= FIRST <= LAST <= 65535, got [" + std::to_string(first) + ", " +
                       std::to_string(last) + "]");
    return PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
  };
  WARD_ASSIGN_OR_RETURN(rule.ports, parse_list<PortRange>(*ports, path + ".ports", parse_range));
  return rule;
}

Result<FilterRules> parse_filter(const Json& j, const std::string& path, const DecodeLimits& lim) {
  if (!j.is_object()) return at(path, "expected an object, got " + type_of(j));
  WARD_RETURN_IF_ERROR(only_keys(j, path, {"inbound"}));
  WARD_ASSIGN_OR_RETURN(const Json* in, array_field(j, path, "inbound", lim.max_filter_rules));
  FilterRules rules;
  auto each = [&](const Json& e, const std::string& p) { return parse_rule(e, p, lim); };
  WARD_ASSIGN_OR_RETURN(rules.inbound, parse_list<FilterRule>(*in, path + ".inbound", each));
  return rules;
}

Result<SelfInfo> parse_self(const Json& j, const std::string& path, const DecodeLimits& lim) {
  if (!j.is_object()) return at(path, "expected an object, got " + type_of(j));
  WARD_RETURN_IF_ERROR(only_keys(j, path, {"id", "name", "user", "tags", "addresses"}));
  SelfInfo self;
  WARD_ASSIGN_OR_RETURN(const Json* id, field(j, path, "id"));
  WARD_ASSIGN_OR_RETURN(self.id, as_string(*id, path + ".id", lim.max_string_bytes));
  WARD_ASSIGN_OR_RETURN(const Json* name, field(j, path, "name", false));
  if (name) {
    WARD_ASSIGN_OR_RETURN(self.name, as_string(*name, path + ".name", lim.max_string_bytes));
  }
  WARD_ASSIGN_OR_RETURN(const Json* user, field(j, path, "user", false));
  if (user && !user->is_null()) {
    WARD_ASSIGN_OR_RETURN(self.user, as_string(*user, path + ".user", lim.max_string_bytes));
  }
  WARD_ASSIGN_OR_RETURN(const Json* tags, array_field(j, path, "tags", lim.max_tags, false));
  if (tags) {
    auto each = [&](const Json& e, const std::string& p) {
      return as_string(e, p, lim.max_string_bytes);
    };
    WARD_ASSIGN_OR_RETURN(self.tags, parse_list<std::string>(*tags, path + ".tags", each));
  }
  WARD_ASSIGN_OR_RETURN(const Json* addrs,
                        array_field(j, path, "addresses", lim.max_self_addresses));
  WARD_ASSIGN_OR_RETURN(self.addresses, parse_list<net::InterfaceAddress>(
                                            *addrs, path + ".addresses", parse_if_address));
  return self;
}

Result<Overlay> parse_overlay(const Json& j, const std::string& path) {
  if (!j.is_object()) return at(path, "expected an object, got " + type_of(j));
  WARD_RETURN_IF_ERROR(only_keys(j, path, {"v4", "v6"}));
  Overlay o;
  WARD_ASSIGN_OR_RETURN(const Json* v4, field(j, path, "v4"));
  WARD_ASSIGN_OR_RETURN(o.v4, parse_prefix(*v4, path + ".v4"));
  if (!o.v4.address().is_v4())
    return at(path + ".v4", "expected an IPv4 prefix, got " + quote(o.v4.to_string()));
  WARD_ASSIGN_OR_RETURN(const Json* v6, field(j, path, "v6"));
  WARD_ASSIGN_OR_RETURN(o.v6, parse_prefix(*v6, path + ".v6"));
  if (!o.v6.address().is_v6())
    return at(path + ".v6", "expected an IPv6 prefix, got " + quote(o.v6.to_string()));
  return o;
}

Result<std::vector<Peer>> parse_peers(const Json& obj, const char* key, const DecodeLimits& lim) {
  WARD_ASSIGN_OR_RETURN(const Json* arr, array_field(obj, "$", key, lim.max_peers));
  auto each = [&](const Json& e, const std::string& p) { return parse_peer(e, p, lim); };
  return parse_list<Peer>(*arr, std::string("$.") + key, each);
}

Result<StreamMessage> decode_netmap(const Json& j, const DecodeLimits& lim) {
  WARD_RETURN_IF_ERROR(only_keys(j, "$", {"type", "serial", "self", "overlay", "peers", "filter"}));
  Netmap m;
  WARD_ASSIGN_OR_RETURN(m.serial, serial_field(j, "$", "serial"));
  WARD_ASSIGN_OR_RETURN(const Json* self, object_field(j, "$", "self"));
  WARD_ASSIGN_OR_RETURN(m.self, parse_self(*self, "$.self", lim));
  WARD_ASSIGN_OR_RETURN(const Json* overlay, object_field(j, "$", "overlay"));
  WARD_ASSIGN_OR_RETURN(m.overlay, parse_overlay(*overlay, "$.overlay"));
  WARD_ASSIGN_OR_RETURN(m.peers, parse_peers(j, "peers", lim));
  WARD_ASSIGN_OR_RETURN(const Json* filter, object_field(j, "$", "filter"));
  WARD_ASSIGN_OR_RETURN(m.filter, parse_filter(*filter, "$.filter", lim));
  return StreamMessage{std::move(m)};
}

Result<StreamMessage> decode_delta(const Json& j, const DecodeLimits& lim) {
  WARD_RETURN_IF_ERROR(only_keys(
      j, "$", {"type", "serial", "base_serial", "peers_upsert", "peers_remove", "filter", "self"}));
  Delta d;
  WARD_ASSIGN_OR_RETURN(d.serial, serial_field(j, "$", "serial"));
  WARD_ASSIGN_OR_RETURN(d.base_serial, serial_field(j, "$", "base_serial"));
  if (j.contains("peers_upsert")) {
    WARD_ASSIGN_OR_RETURN(d.peers_upsert, parse_peers(j, "peers_upsert", lim));
  }
  WARD_ASSIGN_OR_RETURN(const Json* rm, array_field(j, "$", "peers_remove", lim.max_peers, false));
  if (rm) {
    WARD_ASSIGN_OR_RETURN(d.peers_remove, parse_list<WgKey>(*rm, "$.peers_remove", parse_key));
  }
  WARD_ASSIGN_OR_RETURN(const Json* filter, object_field(j, "$", "filter", false));
  if (filter) {
    WARD_ASSIGN_OR_RETURN(d.filter, parse_filter(*filter, "$.filter", lim));
  }
  WARD_ASSIGN_OR_RETURN(const Json* self, object_field(j, "$", "self", false));
  if (self) {
    WARD_ASSIGN_OR_RETURN(d.self, parse_self(*self, "$.self", lim));
  }
  return StreamMessage{std::move(d)};
}

}  // namespace

Result<StreamMessage> decode_stream_message(std::string_view line, const DecodeLimits& lim) {
  if (line.size() > lim.max_line_bytes)
    return Error::invalid_argument("stream message too large: " + std::to_string(line.size()) +
                                   " bytes (at most " + std::to_string(lim.max_line_bytes) + ")");
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Error::invalid_argument("stream message is not valid JSON: " + quote(line));
  if (!j.is_object()) return at("$", "expected an object, got " + type_of(j));
  try {
    WARD_ASSIGN_OR_RETURN(const Json* type_j, field(j, "$", "type"));
    WARD_ASSIGN_OR_RETURN(std::string type, as_string(*type_j, "$.type", 32));
    if (type == "netmap") return decode_netmap(j, lim);
    if (type == "delta") return decode_delta(j, lim);
    if (type == "keepalive") {
      WARD_RETURN_IF_ERROR(only_keys(j, "$", {"type", "serial"}));
      WARD_ASSIGN_OR_RETURN(auto serial, serial_field(j, "$", "serial"));
      return StreamMessage{Keepalive{serial}};
    }
    TerminalKind kind;
    if (type == "revoked") {
      kind = TerminalKind::kRevoked;
    } else if (type == "quarantined") {
      kind = TerminalKind::kQuarantined;
    } else if (type == "expired") {
      kind = TerminalKind::kExpired;
    } else {
      return at(
          "$.type",
          "expected netmap, delta, keepalive, revoked, quarantined or expired, got " + quote(type));
    }
    // A terminal notice is honoured even if its reason is odd: dropping access must not
    // depend on the controller formatting a message we like.
    Terminal t{kind, {}};
    auto it = j.find("reason");
    if (it != j.end() && it->is_string()) {
      t.reason = it->get<std::string>().substr(0, lim.max_string_bytes);
    }
    return StreamMessage{std::move(t)};
  } catch (const std::exception& e) {
    return Error::internal(std::string("decoding stream message: ") + e.what());
  }
}

}  // namespace ward::node
