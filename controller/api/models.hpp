// Request bodies of the node and admin APIs, decoded strictly (pure; no I/O).
//
// Every parse_* function takes the raw body and returns the decoded request or an
// InvalidArgument error naming the first bad field by JSON path
// ("$.role: expected one of owner, admin, auditor, member, got \"root\""). Unknown
// fields, wrong types, oversized strings or arrays, and malformed JSON are all refused;
// nothing is decoded partially. Secret fields (passwords, TOTP codes, enrollment keys)
// land in SecretString and never appear in an error message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "controller/store/types.hpp"

namespace ward::controller {

// Bodies larger than this are refused before parsing; policy texts may be larger.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
// A policy body ({"text": ...}); the policy parser's own limit is 4 MiB of text.
inline constexpr std::size_t kMaxPolicyBodyBytes = 5 * 1024 * 1024;
// What the HTTP server reads at most (the largest body of any route).
inline constexpr std::size_t kMaxServerBodyBytes = kMaxPolicyBodyBytes;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxGroups = 32;
inline constexpr std::size_t kMaxEndpoints = 16;
inline constexpr std::size_t kMaxPostureFacts = 64;

struct LoginCredentials {
  std::string email;
  SecretString password;
  SecretString totp;
};

struct EnrollRequest {
  std::optional<SecretString> enroll_key;  // either this ...
  std::optional<LoginCredentials> login;   // ... or this, never both
  std::string wg_public_key;               // base64, 32 bytes (checked)
  std::string csr;                         // PEM
  std::string hostname;
  std::string os_name, os_version, os_kernel;
  std::vector<std::string> endpoints;  // "ip:port", checked
  std::optional<std::uint16_t> listen_port;
};
Result<EnrollRequest> parse_enroll(std::string_view body);

struct RenewRequest {
  std::string csr;
};
Result<RenewRequest> parse_renew(std::string_view body);

struct PostureRequest {
  nlohmann::json facts = nlohmann::json::object();  // string/bool/integer values only
  std::vector<std::string> endpoints;
  std::optional<std::uint16_t> listen_port;
};
Result<PostureRequest> parse_posture(std::string_view body);

struct BootstrapRequest {
  SecretString bootstrap_token;
  std::string email;
  std::string display_name;
  SecretString password;
};
Result<BootstrapRequest> parse_bootstrap(std::string_view body);

Result<LoginCredentials> parse_login(std::string_view body);

struct CreateUserRequest {
  std::string email;
  std::string display_name;
  store::Role role = store::Role::kMember;
  std::vector<std::string> groups;
  SecretString password;
};
Result<CreateUserRequest> parse_create_user(std::string_view body);

Result<store::Role> parse_role_request(std::string_view body);
Result<std::vector<std::string>> parse_groups_request(std::string_view body);

struct CreateKeyRequest {
  bool reusable = false;
  std::optional<std::int64_t> max_uses;
  std::optional<std::int64_t> expires_in_s;  // default: the enrollment_key_lifetime setting
  std::vector<std::string> tags;
  bool preapproved = false;
};
Result<CreateKeyRequest> parse_create_key(std::string_view body);

// Device actions: an optional {"reason": "..."}; an empty body is allowed.
Result<std::string> parse_reason(std::string_view body);
Result<std::string> parse_rename(std::string_view body);
Result<std::vector<std::string>> parse_tags_request(std::string_view body);

// Policy endpoints (docs/admin-api.md, "Policy").
// {"text": "..."}: the policy text (HuJSON), at most 4 MiB, non-empty.
Result<std::string> parse_policy_text(std::string_view body);
// {"version": N}, N >= 1.
Result<std::int64_t> parse_policy_version(std::string_view body);
struct PolicyTestRequest {
  std::string src;  // any policy alias or a device name
  std::string dst;  // the same, without the port
  std::uint16_t port = 0;
  int proto = 6;  // "tcp", "udp", "icmp", or a number (string or JSON number) 0..255
};
Result<PolicyTestRequest> parse_policy_test(std::string_view body);

// Value checks shared by the parsers and handlers (each names `what` in its error).
Status check_email(std::string_view email, std::string_view what);
Status check_tag(std::string_view tag, std::string_view what);            // "tag:[a-z0-9-]{1,63}"
Status check_group(std::string_view group, std::string_view what);        // "group:[a-z0-9-]{1,63}"
Status check_device_name(std::string_view name, std::string_view what);   // a DNS label
Status check_endpoint(std::string_view endpoint, std::string_view what);  // "ip:port"
// A DNS label made from a reported hostname: lower case, [a-z0-9-], at most 63
// characters, never empty ("device" if nothing usable is left).
std::string device_name_from_hostname(std::string_view hostname);

}  // namespace ward::controller
