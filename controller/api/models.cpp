#include "controller/api/models.hpp"

#include <utility>

#include "common/crypto/wg_key.hpp"
#include "common/json/parse.hpp"
#include "common/json/reader.hpp"
#include "common/uv/address.hpp"
#include "controller/review/review.hpp"

namespace ward::controller {
namespace {

constexpr std::size_t kMaxEmail = 254;
constexpr std::size_t kMaxDisplayName = 128;
constexpr std::size_t kMaxPassword = 1024;
constexpr std::size_t kMaxToken = 128;
constexpr std::size_t kMaxCsr = 16 * 1024;
constexpr std::size_t kMaxShortText = 128;
constexpr std::size_t kMaxReason = 512;

Result<nlohmann::json> parse_body(std::string_view body, bool empty_is_object = false) {
  if (empty_is_object && body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return nlohmann::json::object();
  }
  return json::parse(body, {.max_bytes = kMaxBodyBytes, .max_depth = 8});
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

Status check_prefixed_name(std::string_view text, std::string_view prefix, std::string_view what) {
  if (!text.starts_with(prefix) || text.size() == prefix.size() ||
      text.size() > prefix.size() + 128) {
    return Error::invalid_argument(std::string(what) + ": expected " + std::string(prefix) +
                                   "<name>, got " + quote(text));
  }
  for (char c : text.substr(prefix.size())) {
    if (!name_char(c)) {
      return Error::invalid_argument(std::string(what) + ": expected " + std::string(prefix) +
                                     "<name> of letters, digits, - _ ., got " + quote(text));
    }
  }
  return ok();
}

// Reads an array of strings, each checked by `check`, duplicates refused.
std::vector<std::string> read_string_list(json::ObjectReader& r, std::string_view key,
                                          std::size_t max_items, bool required,
                                          Status (*check)(std::string_view, std::string_view)) {
  json::ArrayReader a = required ? r.array(key, max_items) : r.optional_array(key, max_items);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string v = a.value<std::string>(i);
    const std::string path = a.path() + "[" + std::to_string(i) + "]";
    if (Status s = check(v, path); !s) {
      r.fail(key,
             s.error().message().substr(path.size() + 2) + " (item " + std::to_string(i) + ")");
      continue;
    }
    for (const std::string& seen : out) {
      if (seen == v) r.fail(key, "duplicate item " + quote(v));
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<store::Role> read_role(json::ObjectReader& r) {
  std::string text = r.required_string("role", 32);
  if (!r.errors().empty()) return store::Role::kMember;
  auto role = store::parse_role(text);
  if (!role) {
    r.fail("role", "expected one of owner, admin, auditor, member, got " + quote(text));
    return store::Role::kMember;
  }
  return *role;
}

std::optional<std::uint16_t> read_listen_port(json::ObjectReader& r) {
  return r.optional_int<std::uint16_t>("listen_port", 1, 65535);
}

}  // namespace

Status check_email(std::string_view email, std::string_view what) {
  const std::size_t at = email.find('@');
  bool good = at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
              email.size() <= kMaxEmail && email.find('@', at + 1) == std::string_view::npos;
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == ',' || c == ':' || c == '"' || c == '/' || c == '\\') {
      good = false;
    }
  }
  if (!good) {
    return Error::invalid_argument(std::string(what) + ": expected an e-mail address, got " +
                                   quote(email));
  }
  return ok();
}

Status check_tag(std::string_view tag, std::string_view what) {
  return check_prefixed_name(tag, "tag:", what);
}

Status check_group(std::string_view group, std::string_view what) {
  return check_prefixed_name(group, "group:", what);
}

Status check_device_name(std::string_view name, std::string_view what) {
  bool good = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) good = false;
  }
  // "dev_<n>" is the id form; names never look like ids ('_' is not allowed above).
  if (!good) {
    return Error::invalid_argument(std::string(what) +
                                   ": expected a DNS label (a-z, 0-9, '-', at most 63), got " +
                                   quote(name));
  }
  return ok();
}

Status check_endpoint(std::string_view endpoint, std::string_view what) {
  auto addr = uv::SocketAddress::parse(endpoint);
  if (!addr || addr->port() == 0) {
    return Error::invalid_argument(std::string(what) + ": expected ip:port or [ipv6]:port, got " +
                                   quote(endpoint));
  }
  return ok();
}

std::string device_name_from_hostname(std::string_view hostname) {
  std::string out;
  for (char c : hostname) {
    if (c == '.') break;  // the first label of an FQDN
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
    if (out.size() >= 55) break;  // room for a "-NN" suffix on collisions
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.empty() ? "device" : out;
}

Result<EnrollRequest> parse_enroll(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  EnrollRequest out;
  if (auto key = r.optional_string("enroll_key", kMaxToken)) {
    out.enroll_key.emplace(std::move(*key));
  }
  if (auto login = r.optional_child("login")) {
    LoginCredentials c;
    c.email = login->required_string("email", kMaxEmail);
    c.password = SecretString(login->required_string("password", kMaxPassword));
    c.totp = SecretString(login->required_string("totp", 16));
    out.login.emplace(std::move(c));
  }
  out.wg_public_key = r.required_string("wg_public_key", 64);
  out.csr = r.required_string("csr", kMaxCsr);
  out.hostname = r.required_string("hostname", 253);
  if (auto os = r.optional_child("os")) {
    out.os_name = os->optional_string("name", kMaxShortText).value_or("");
    out.os_version = os->optional_string("version", kMaxShortText).value_or("");
    out.os_kernel = os->optional_string("kernel", kMaxShortText).value_or("");
  }
  out.endpoints = read_string_list(r, "endpoints", kMaxEndpoints, false, &check_endpoint);
  out.listen_port = read_listen_port(r);
  if (r.errors().empty()) {
    if (out.enroll_key.has_value() == out.login.has_value()) {
      r.fail("enroll_key", "give exactly one of enroll_key and login");
    }
    if (out.login) {
      if (Status s = check_email(out.login->email, "$.login.email"); !s) {
        return s.error();
      }
    }
    if (auto k = crypto::WgPublicKey::from_base64(out.wg_public_key); !k || k->is_zero()) {
      r.fail("wg_public_key", "expected 44 characters of base64 (a 32-byte WireGuard key), got " +
                                  quote(out.wg_public_key));
    }
    if (out.hostname.empty()) r.fail("hostname", "must not be empty");
  }
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

Result<RenewRequest> parse_renew(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  RenewRequest out;
  out.csr = r.required_string("csr", kMaxCsr);
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

Result<PostureRequest> parse_posture(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  PostureRequest out;
  if (auto facts = r.optional<nlohmann::json>("facts")) {
    if (!facts->is_object()) {
      r.fail("facts", "expected an object of facts");
    } else if (facts->size() > kMaxPostureFacts) {
      r.fail("facts", "expected at most " + std::to_string(kMaxPostureFacts) + " facts");
    } else {
      for (const auto& [key, value] : facts->items()) {
        const std::string path = "facts";
        if (key.empty() || key.size() > 64) {
          r.fail(path, "fact name " + quote(key) + " must have 1 to 64 characters");
        } else if (value.is_string() ? value.get_ref<const std::string&>().size() > 256
                                     : !(value.is_boolean() || value.is_number_integer())) {
          r.fail(path, "fact " + quote(key) +
                           ": expected a string (at most 256 bytes), a boolean or an integer");
        }
      }
      out.facts = std::move(*facts);
    }
  }
  out.endpoints = read_string_list(r, "endpoints", kMaxEndpoints, false, &check_endpoint);
  out.listen_port = read_listen_port(r);
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

Result<BootstrapRequest> parse_bootstrap(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  BootstrapRequest out;
  out.bootstrap_token = SecretString(r.required_string("bootstrap_token", kMaxToken));
  out.email = r.required_string("email", kMaxEmail);
  out.display_name = r.required_string("display_name", kMaxDisplayName);
  out.password = SecretString(r.required_string("password", kMaxPassword));
  WARD_RETURN_IF_ERROR(r.finish());
  WARD_RETURN_IF_ERROR(check_email(out.email, "$.email"));
  return out;
}

Result<LoginCredentials> parse_login(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  LoginCredentials out;
  out.email = r.required_string("email", kMaxEmail);
  out.password = SecretString(r.required_string("password", kMaxPassword));
  out.totp = SecretString(r.required_string("totp", 16));
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

Result<CreateUserRequest> parse_create_user(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  CreateUserRequest out;
  out.email = r.required_string("email", kMaxEmail);
  out.display_name = r.optional_string("display_name", kMaxDisplayName).value_or("");
  WARD_ASSIGN_OR_RETURN(out.role, read_role(r));
  out.groups = read_string_list(r, "groups", kMaxGroups, false, &check_group);
  out.password = SecretString(r.required_string("password", kMaxPassword));
  WARD_RETURN_IF_ERROR(r.finish());
  WARD_RETURN_IF_ERROR(check_email(out.email, "$.email"));
  return out;
}

Result<store::Role> parse_role_request(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  WARD_ASSIGN_OR_RETURN(store::Role role, read_role(r));
  WARD_RETURN_IF_ERROR(r.finish());
  return role;
}

Result<std::vector<std::string>> parse_groups_request(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  auto groups = read_string_list(r, "groups", kMaxGroups, true, &check_group);
  WARD_RETURN_IF_ERROR(r.finish());
  return groups;
}

Result<CreateKeyRequest> parse_create_key(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body, true));
  json::ObjectReader r(doc);
  CreateKeyRequest out;
  out.reusable = r.optional<bool>("reusable", false);
  if (r.has("max_uses") && doc.is_object() && doc["max_uses"].is_null()) {
    r.allow("max_uses");  // explicit null: no limit
  } else {
    out.max_uses = r.optional_int<std::int64_t>("max_uses", 1, 1'000'000);
  }
  out.expires_in_s = r.optional_int<std::int64_t>("expires_in_s", 60, 365LL * 24 * 3600);
  out.tags = read_string_list(r, "tags", kMaxTags, false, &check_tag);
  out.preapproved = r.optional<bool>("preapproved", false);
  if (r.errors().empty() && out.max_uses && !out.reusable) {
    r.fail("max_uses", "a use limit needs \"reusable\": true");
  }
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

Result<std::string> parse_reason(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body, true));
  json::ObjectReader r(doc);
  std::string reason = r.optional_string("reason", kMaxReason).value_or("");
  WARD_RETURN_IF_ERROR(r.finish());
  return reason;
}

Result<std::string> parse_rename(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  std::string name = r.required_string("name", 63);
  if (r.errors().empty()) {
    if (Status s = check_device_name(name, "$.name"); !s)
      r.fail("name", "expected a DNS label (a-z, 0-9, '-', at most 63), got " + quote(name));
  }
  WARD_RETURN_IF_ERROR(r.finish());
  return name;
}

Result<std::vector<std::string>> parse_tags_request(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  auto tags = read_string_list(r, "tags", kMaxTags, true, &check_tag);
  WARD_RETURN_IF_ERROR(r.finish());
  return tags;
}

Result<std::string> parse_policy_text(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc,
                        json::parse(body, {.max_bytes = kMaxPolicyBodyBytes, .max_depth = 4}));
  json::ObjectReader r(doc);
  std::string text = r.required_string("text", 4 * 1024 * 1024);
  if (r.errors().empty() && text.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.fail("text", "expected the policy file's text, got an empty string");
  }
  WARD_RETURN_IF_ERROR(r.finish());
  return text;
}

Result<std::int64_t> parse_policy_version(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  auto version = r.required_int<std::int64_t>("version", 1, INT64_MAX);
  WARD_RETURN_IF_ERROR(r.finish());
  return version;
}

Result<PolicyTestRequest> parse_policy_test(std::string_view body) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, parse_body(body));
  json::ObjectReader r(doc);
  PolicyTestRequest out;
  out.src = r.required_string("src", 512);
  out.dst = r.required_string("dst", 512);
  out.port = r.optional_int<std::uint16_t>("port", 0, 65535).value_or(0);
  if (doc.is_object() && doc.contains("proto") && doc["proto"].is_number_integer()) {
    auto n = r.required_int<int>("proto", 0, 255);
    out.proto = n;
  } else if (auto proto = r.optional_string("proto", 16)) {
    auto n = review::parse_proto(*proto);
    if (!n) {
      r.fail("proto", "expected tcp, udp, icmp or a number 0..255, got " + quote(*proto));
    } else {
      out.proto = *n;
    }
  }
  if (r.errors().empty()) {
    if (out.src.empty()) r.fail("src", "must not be empty");
    if (out.dst.empty()) r.fail("dst", "must not be empty");
    const bool port_proto = out.proto == 6 || out.proto == 17 || out.proto == 132;
    if (port_proto && out.port == 0) {
      r.fail("port", "expected a port 1..65535 for tcp, udp and sctp");
    }
  }
  WARD_RETURN_IF_ERROR(r.finish());
  return out;
}

}  // namespace ward::controller
