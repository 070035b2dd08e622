#include "node/control/enroll.hpp"

#include <algorithm>
#include <cerrno>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/base/error.hpp"
#include "common/json/parse.hpp"

namespace ward::node::control {
namespace {

// The json object holds the credential briefly; it is dumped straight into a SecretString.
// (nlohmann's own buffers are not wiped; the body lives only for one request.)
SecretString dump_secret(const nlohmann::json& doc) {
  return SecretString(doc.dump());
}

Result<std::string> get_string(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string())
    return Error::invalid_argument(std::string("$.") + key + ": expected a string");
  return it->get<std::string>();
}

bool reachable(const net::IpAddress& ip) {
  auto b = ip.bytes();
  if (ip.is_v4()) {
    if (b[0] == 127 || b[0] == 0) return false;    // loopback, unspecified
    if (b[0] == 169 && b[1] == 254) return false;  // link-local
    if (b[0] >= 224) return false;                 // multicast, reserved
    return true;
  }
  bool zero = std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
  if (zero) return false;  // ::
  bool loop =
      std::all_of(b.begin(), b.end() - 1, [](std::uint8_t x) { return x == 0; }) && b[15] == 1;
  if (loop) return false;                                   // ::1
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10
  if (b[0] == 0xff) return false;                           // multicast
  return true;
}

}  // namespace

Result<SecretString> build_enroll_body(const EnrollRequest& r) {
  if (r.enroll_key.has_value() == r.login.has_value())
    return Error::invalid_argument("give exactly one of an enrollment key and a login");
  if (r.hostname.empty()) return Error::invalid_argument("the hostname must not be empty");
  nlohmann::json doc = {{"wg_public_key", r.wg_public_key},
                        {"csr", r.csr},
                        {"hostname", r.hostname},
                        {"endpoints", r.endpoints},
                        {"listen_port", r.listen_port}};
  nlohmann::json os = nlohmann::json::object();
  if (!r.os_name.empty()) os["name"] = r.os_name;
  if (!r.os_version.empty()) os["version"] = r.os_version;
  if (!r.kernel.empty()) os["kernel"] = r.kernel;
  doc["os"] = os;
  if (r.enroll_key) doc["enroll_key"] = std::string(r.enroll_key->reveal());
  if (r.login) {
    doc["login"] = {{"email", r.login->email},
                    {"password", std::string(r.login->password.reveal())},
                    {"totp", std::string(r.login->totp.reveal())}};
  }
  SecretString body = dump_secret(doc);
  if (r.enroll_key) doc["enroll_key"] = "";
  if (r.login) doc["login"] = nullptr;
  return body;
}

Result<EnrollResponse> parse_enroll_response(std::string_view body) {
  auto doc = json::parse(body, {.max_bytes = 256 * 1024});
  if (!doc) return Error::corruption("enroll response: " + doc.error().message());
  if (!doc->is_object()) return Error::corruption("enroll response: expected an object");
  EnrollResponse out;
  auto field = [&](const char* key, std::string& dst) -> Status {
    auto v = get_string(*doc, key);
    if (!v) return Error::corruption("enroll response " + v.error().message());
    dst = std::move(*v);
    return ok();
  };
  WARD_RETURN_IF_ERROR(field("device_id", out.device_id));
  WARD_RETURN_IF_ERROR(field("name", out.name));
  WARD_RETURN_IF_ERROR(field("status", out.status));
  WARD_RETURN_IF_ERROR(field("certificate", out.certificate_pem));
  WARD_RETURN_IF_ERROR(field("ca", out.ca_pem));
  WARD_RETURN_IF_ERROR(field("cert_not_after", out.cert_not_after));
  if (out.device_id.empty() || out.device_id.size() > 128)
    return Error::corruption("enroll response $.device_id: expected 1..128 characters");
  auto addrs = doc->find("addresses");
  if (addrs == doc->end() || !addrs->is_array() || addrs->size() > 16)
    return Error::corruption("enroll response $.addresses: expected an array of addresses");
  for (const auto& a : *addrs) {
    if (!a.is_string()) return Error::corruption("enroll response $.addresses: expected strings");
    auto ia = net::InterfaceAddress::parse(a.get<std::string>());
    if (!ia) return Error::corruption("enroll response $.addresses: " + ia.error().message());
    out.addresses.push_back(*ia);
  }
  auto overlay = doc->find("overlay");
  if (overlay == doc->end() || !overlay->is_object())
    return Error::corruption("enroll response $.overlay: expected an object");
  for (auto [key, dst, v4] :
       {std::tuple{"v4", &out.overlay_v4, true}, std::tuple{"v6", &out.overlay_v6, false}}) {
    auto s = get_string(*overlay, key);
    if (!s) return Error::corruption("enroll response $.overlay" + s.error().message().substr(1));
    auto p = net::Prefix::parse(*s);
    if (!p || p->address().is_v4() != v4)
      return Error::corruption(std::string("enroll response $.overlay.") + key +
                               ": expected an IPv" + (v4 ? "4" : "6") + " prefix, got " +
                               quote(*s));
    *dst = *p;
  }
  return out;
}

std::string build_renew_body(std::string_view csr_pem) {
  return nlohmann::json{{"csr", csr_pem}}.dump();
}

Result<std::string> parse_renew_response(std::string_view body) {
  auto doc = json::parse(body, {.max_bytes = 256 * 1024});
  if (!doc || !doc->is_object()) return Error::corruption("renew response: expected a JSON object");
  auto cert = get_string(*doc, "certificate");
  if (!cert) return Error::corruption("renew response " + cert.error().message());
  return *cert;
}

std::string build_posture_body(const nlohmann::json& facts,
                               const std::vector<std::string>& endpoints,
                               std::uint16_t listen_port) {
  return nlohmann::json{{"facts", facts}, {"endpoints", endpoints}, {"listen_port", listen_port}}
      .dump();
}

Error error_from_response(int http_status, std::string_view body) {
  std::string code_name;
  std::string message;
  if (auto doc = json::parse(body, {.max_bytes = 64 * 1024}); doc && doc->is_object()) {
    auto e = doc->find("error");
    if (e != doc->end() && e->is_object()) {
      if (auto c = get_string(*e, "code")) code_name = *c;
      if (auto m = get_string(*e, "message")) message = *m;
    }
  }
  std::string text = "controller answered " + std::to_string(http_status);
  if (!message.empty()) text += ": " + quote(message, 300);
  static constexpr ErrorCode kCodes[] = {ErrorCode::kInvalidArgument, ErrorCode::kNotFound,
                                         ErrorCode::kAlreadyExists,   ErrorCode::kPermissionDenied,
                                         ErrorCode::kUnauthenticated, ErrorCode::kUnavailable,
                                         ErrorCode::kCorruption,      ErrorCode::kIo,
                                         ErrorCode::kInternal};
  for (ErrorCode c : kCodes) {
    if (error_code_name(c) == code_name) return Error(c, text);
  }
  switch (http_status) {
    case 400:
      return Error::invalid_argument(text);
    case 401:
      return Error::unauthenticated(text);
    case 403:
      return Error::permission_denied(text);
    case 404:
      return Error::not_found(text);
    case 409:
      return Error::already_exists(text);
    case 503:
      return Error::unavailable(text);
    default:
      return Error::unavailable(text);
  }
}

std::vector<std::string> endpoint_list(const std::vector<net::IpAddress>& local,
                                       std::uint16_t listen_port,
                                       const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  auto add = [&](std::string s) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  };
  if (listen_port != 0) {
    for (const auto& ip : local) {
      if (!reachable(ip)) continue;
      add(ip.is_v4() ? ip.to_string() + ":" + std::to_string(listen_port)
                     : "[" + ip.to_string() + "]:" + std::to_string(listen_port));
    }
  }
  for (const auto& e : extra)
    add(e);
  return out;
}

Result<std::vector<net::IpAddress>> local_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return Error::from_errno("getifaddrs", errno);
  std::vector<net::IpAddress> out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      out.push_back(
          net::IpAddress::from_bytes({reinterpret_cast<const std::uint8_t*>(&sin->sin_addr), 4}));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      out.push_back(net::IpAddress::from_bytes(
          {reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16}));
    }
  }
  ::freeifaddrs(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ward::node::control
