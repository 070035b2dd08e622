// Bodies of the node API (docs/protocol.md): building requests and parsing responses.
// Pure; thread-safe. Bodies that carry a credential are SecretStrings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/net/ip.hpp"

namespace ward::node::control {

struct LoginCredential {
  std::string email;
  SecretString password;
  SecretString totp;
};

struct EnrollRequest {
  std::optional<SecretString> enroll_key;  // exactly one of enroll_key and login
  std::optional<LoginCredential> login;
  std::string wg_public_key;  // base64
  std::string csr;            // PEM
  std::string hostname;
  std::string os_name, os_version, kernel;  // empty = not sent
  std::vector<std::string> endpoints;
  std::uint16_t listen_port = 0;
};

// invalid_argument unless exactly one credential is set and the hostname is non-empty.
Result<SecretString> build_enroll_body(const EnrollRequest& request);

struct EnrollResponse {
  std::string device_id;
  std::string name;
  std::string status;  // "active" or "pending"
  std::vector<net::InterfaceAddress> addresses;
  net::Prefix overlay_v4, overlay_v6;
  std::string certificate_pem;
  std::string ca_pem;
  std::string cert_not_after;  // RFC 3339, informational (the certificate is the truth)
};

// Strict: every field required, types checked, unknown fields ignored (a newer controller
// may add some; nothing here can widen access).
Result<EnrollResponse> parse_enroll_response(std::string_view body);

std::string build_renew_body(std::string_view csr_pem);
// {"certificate": PEM, "cert_not_after": ...} -> the PEM.
Result<std::string> parse_renew_response(std::string_view body);

std::string build_posture_body(const nlohmann::json& facts,
                               const std::vector<std::string>& endpoints,
                               std::uint16_t listen_port);

// An error response {"error": {"code", "message"}} as an Error with that code (by name;
// unknown codes and bodies that are not that shape map from the HTTP status). The message
// is the controller's (which never contains a secret), quoted and bounded.
Error error_from_response(int http_status, std::string_view body);

// Where this node can be reached: every address in `local` that is not loopback,
// link-local, unspecified or multicast, with listen_port, then every extra endpoint
// (already validated HOST:PORT text), without duplicates, in that order.
std::vector<std::string> endpoint_list(const std::vector<net::IpAddress>& local,
                                       std::uint16_t listen_port,
                                       const std::vector<std::string>& extra);

// The host's interface addresses (getifaddrs), all families and interfaces.
Result<std::vector<net::IpAddress>> local_addresses();

}  // namespace ward::node::control
