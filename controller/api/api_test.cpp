// Unit tests for the pure parts of the controller API: the route/role table, the error
// mapping, request models and device state transitions.
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/http/router.hpp"
#include "controller/api/authz.hpp"
#include "controller/api/device_state.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/models.hpp"
#include "controller/api/views.hpp"

using namespace ward;
using namespace ward::controller;
using store::DeviceStatus;
using store::Role;

namespace {
const std::string kWgKey = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";
std::string error_of(const Error& e) {
  return e.message();
}
}  // namespace

TEST_CASE("route table: every route is unique and routable and has a handler", "[unit]") {
  http::Router router;
  std::set<int> ids;
  for (const RouteSpec& spec : route_table()) {
    INFO(spec.method << " " << spec.pattern);
    CHECK(router.add(spec.method, spec.pattern, static_cast<std::size_t>(spec.id)).ok());
    CHECK(ids.insert(static_cast<int>(spec.id)).second);
    CHECK(&route_spec(spec.id) == &spec);
    CHECK_FALSE(spec.action.empty());
    // Admin paths are sessions or open (bootstrap/login); node paths never take sessions.
    const bool admin = std::string_view(spec.pattern).starts_with("/v1/admin/");
    if (admin) {
      CHECK(spec.credential != Credential::kDevice);
    } else {
      CHECK(spec.credential != Credential::kSession);
    }
    if (spec.credential != Credential::kSession) CHECK(spec.roles == 0u);
  }
  CHECK(ids.size() == static_cast<std::size_t>(RouteId::kInventory) + 1);
}

TEST_CASE("route table: the role matrix of docs/admin-api.md", "[unit]") {
  auto allowed = [](RouteId id, Role r) { return role_allowed(route_spec(id), r); };
  // Everyone: status, logout, reads that members see filtered.
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kAuditor, Role::kMember}) {
    CHECK(allowed(RouteId::kStatus, r));
    CHECK(allowed(RouteId::kLogout, r));
    CHECK(allowed(RouteId::kDevicesList, r));
    CHECK(allowed(RouteId::kDeviceGet, r));
    CHECK(allowed(RouteId::kUsersList, r));
    CHECK(allowed(RouteId::kUserGet, r));
  }
  // Changes: owner and admin only.
  for (RouteId id :
       {RouteId::kUsersCreate, RouteId::kUserDisable, RouteId::kUserEnable, RouteId::kUserResetMfa,
        RouteId::kUserRole, RouteId::kUserGroups, RouteId::kKeysCreate, RouteId::kKeyRevoke,
        RouteId::kDeviceApprove, RouteId::kDeviceRevoke, RouteId::kDeviceQuarantine,
        RouteId::kDeviceUnquarantine, RouteId::kDeviceExpire, RouteId::kDeviceRename,
        RouteId::kDeviceTags}) {
    INFO(route_spec(id).pattern);
    CHECK(allowed(id, Role::kOwner));
    CHECK(allowed(id, Role::kAdmin));
    CHECK_FALSE(allowed(id, Role::kAuditor));
    CHECK_FALSE(allowed(id, Role::kMember));
    CHECK(route_spec(id).changes_state);
  }
  // Audit and keys: readable by owner, admin, auditor; never by members.
  for (RouteId id :
       {RouteId::kAuditList, RouteId::kAuditVerify, RouteId::kAuditExport, RouteId::kKeysList}) {
    CHECK(allowed(id, Role::kAuditor));
    CHECK(allowed(id, Role::kAdmin));
    CHECK_FALSE(allowed(id, Role::kMember));
    CHECK_FALSE(route_spec(id).changes_state);
  }
  // Routes without a session credential are never "allowed" by role.
  CHECK_FALSE(allowed(RouteId::kEnroll, Role::kOwner));
  CHECK_FALSE(allowed(RouteId::kRenew, Role::kOwner));
  CHECK_FALSE(allowed(RouteId::kLogin, Role::kOwner));
}

TEST_CASE("errors: one mapping from codes to HTTP statuses", "[unit]") {
  CHECK(http_status(ErrorCode::kInvalidArgument) == 400);
  CHECK(http_status(ErrorCode::kUnauthenticated) == 401);
  CHECK(http_status(ErrorCode::kPermissionDenied) == 403);
  CHECK(http_status(ErrorCode::kNotFound) == 404);
  CHECK(http_status(ErrorCode::kAlreadyExists) == 409);
  CHECK(http_status(ErrorCode::kUnavailable) == 503);
  CHECK(http_status(ErrorCode::kCorruption) == 500);
  CHECK(http_status(ErrorCode::kIo) == 500);
  CHECK(http_status(ErrorCode::kInternal) == 500);

  auto r = error_response(Error::invalid_argument("$.role: bad"));
  CHECK(r.status == 400);
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["error"]["code"] == "invalid_argument");
  CHECK(body["error"]["message"] == "$.role: bad");
  // Server-side detail never reaches the client.
  auto internal = error_response(Error::io("open /var/lib/ward/ward.db: EACCES"));
  CHECK(internal.status == 500);
  CHECK(internal.body.find("/var/lib") == std::string::npos);
  CHECK(nlohmann::json::parse(internal.body)["error"]["code"] == "io");
  CHECK(error_response(Error::unavailable("locked"), 429).status == 429);
}

TEST_CASE("models: enroll by key or by login and what is refused", "[unit]") {
  nlohmann::json base = {{"wg_public_key", kWgKey},
                         {"csr", "-----BEGIN CERTIFICATE REQUEST-----"},
                         {"hostname", "Clin1-Laptop.hospital.org"},
                         {"os", {{"name", "debian"}, {"version", "12"}, {"kernel", "6.1"}}},
                         {"endpoints", {"192.0.2.10:51820", "[2001:db8::1]:51820"}},
                         {"listen_port", 51820}};
  auto by_key = base;
  by_key["enroll_key"] = "wek_abc";
  auto r = parse_enroll(by_key.dump());
  REQUIRE(r.ok());
  CHECK(r->enroll_key->reveal() == "wek_abc");
  CHECK_FALSE(r->login.has_value());
  CHECK(r->endpoints.size() == 2);
  CHECK(r->listen_port == 51820);
  CHECK(r->os_kernel == "6.1");

  auto by_login = base;
  by_login["login"] = {
      {"email", "a@h.org"}, {"password", "correct horse battery"}, {"totp", "123456"}};
  auto l = parse_enroll(by_login.dump());
  REQUIRE(l.ok());
  CHECK(l->login->email == "a@h.org");

  SECTION("neither or both credentials") {
    auto e = parse_enroll(base.dump());
    REQUIRE_FALSE(e.ok());
    CHECK(error_of(e.error()).find("exactly one") != std::string::npos);
    auto both = by_login;
    both["enroll_key"] = "wek_abc";
    CHECK_FALSE(parse_enroll(both.dump()).ok());
  }
  SECTION("unknown field, wrong type, bad key, bad endpoint; secrets never echoed") {
    auto unknown = by_key;
    unknown["wg_private_key"] = "SECRET-NOT-TO-ECHO";
    auto e = parse_enroll(unknown.dump());
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code() == ErrorCode::kInvalidArgument);
    CHECK(error_of(e.error()).find("$.wg_private_key") != std::string::npos);
    CHECK(error_of(e.error()).find("SECRET-NOT-TO-ECHO") == std::string::npos);

    auto wrong = by_key;
    wrong["listen_port"] = "51820";
    CHECK(error_of(parse_enroll(wrong.dump()).error()).find("$.listen_port") != std::string::npos);

    auto short_key = by_key;
    short_key["wg_public_key"] = "abc";
    CHECK(error_of(parse_enroll(short_key.dump()).error()).find("$.wg_public_key") !=
          std::string::npos);

    auto bad_ep = by_key;
    bad_ep["endpoints"] = {"not-an-endpoint"};
    CHECK(error_of(parse_enroll(bad_ep.dump()).error()).find("$.endpoints") != std::string::npos);

    auto pw = by_login;
    pw["login"]["password"] = 12345;
    auto p = parse_enroll(pw.dump());
    REQUIRE_FALSE(p.ok());
    CHECK(error_of(p.error()).find("$.login.password") != std::string::npos);
  }
  SECTION("malformed and oversized bodies") {
    CHECK_FALSE(parse_enroll("{").ok());
    CHECK_FALSE(parse_enroll("[]").ok());
    std::string huge = "{\"hostname\": \"" + std::string(kMaxBodyBytes, 'a') + "\"}";
    CHECK_FALSE(parse_enroll(huge).ok());
  }
}

TEST_CASE("models: admin bodies", "[unit]") {
  auto role = parse_role_request(R"({"role": "root"})");
  REQUIRE_FALSE(role.ok());
  CHECK(error_of(role.error()) ==
        "$.role: expected one of owner, admin, auditor, member, got \"root\"");
  CHECK(*parse_role_request(R"({"role": "auditor"})") == Role::kAuditor);

  auto user = parse_create_user(
      R"({"email": "b@h.org", "display_name": "B", "role": "admin", "groups": ["group:icu"], "password": "pw"})");
  REQUIRE(user.ok());
  CHECK(user->role == Role::kAdmin);
  CHECK(user->groups == std::vector<std::string>{"group:icu"});
  CHECK_FALSE(parse_create_user(R"({"email": "nope", "role": "admin", "password": "x"})").ok());
  auto g = parse_groups_request(R"({"groups": ["icu"]})");
  REQUIRE_FALSE(g.ok());
  CHECK(error_of(g.error()).find("$.groups") != std::string::npos);
  CHECK_FALSE(parse_groups_request(R"({"groups": ["group:a", "group:a"]})").ok());

  auto key = parse_create_key("");
  REQUIRE(key.ok());
  CHECK_FALSE(key->reusable);
  CHECK_FALSE(key->expires_in_s.has_value());
  auto reusable = parse_create_key(
      R"({"reusable": true, "max_uses": null, "expires_in_s": 600, "tags": ["tag:ehr"], "preapproved": true})");
  REQUIRE(reusable.ok());
  CHECK_FALSE(reusable->max_uses.has_value());
  CHECK(reusable->tags == std::vector<std::string>{"tag:ehr"});
  CHECK_FALSE(parse_create_key(R"({"max_uses": 3})").ok());  // needs reusable
  CHECK_FALSE(parse_create_key(R"({"tags": ["ehr"]})").ok());
  CHECK_FALSE(parse_create_key(R"({"expires_in_s": 0})").ok());

  CHECK(*parse_reason("") == "");
  CHECK(*parse_reason(R"({"reason": "lost laptop"})") == "lost laptop");
  CHECK_FALSE(parse_reason(R"({"why": "x"})").ok());
  CHECK(*parse_rename(R"({"name": "ehr-1"})") == "ehr-1");
  CHECK_FALSE(parse_rename(R"({"name": "EHR_1"})").ok());
  CHECK(*parse_tags_request(R"({"tags": []})") == std::vector<std::string>{});

  auto posture = parse_posture(R"({"facts": {"node:os": "debian", "disk:encrypted": true}})");
  REQUIRE(posture.ok());
  CHECK(posture->facts["disk:encrypted"] == true);
  CHECK_FALSE(parse_posture(R"({"facts": {"x": 1.5}})").ok());
  CHECK_FALSE(parse_posture(R"({"facts": {"x": {"nested": 1}}})").ok());
}

TEST_CASE("models: names from hostnames and device ids", "[unit]") {
  CHECK(device_name_from_hostname("Clin1-Laptop.hospital.org") == "clin1-laptop");
  CHECK(device_name_from_hostname("EHR server #2") == "ehr-server-2");
  CHECK(device_name_from_hostname("...") == "device");
  CHECK(device_name_from_hostname(std::string(200, 'a')).size() <= 63);
  CHECK(check_device_name(device_name_from_hostname("x_y z"), "n").ok());
  CHECK(device_public_id(7) == "dev_7");
  CHECK(parse_device_public_id("dev_7") == 7);
  CHECK_FALSE(parse_device_public_id("dev_07").has_value());
  CHECK_FALSE(parse_device_public_id("dev_").has_value());
  CHECK_FALSE(parse_device_public_id("dev_-1").has_value());
  CHECK_FALSE(parse_device_public_id("laptop").has_value());
}

TEST_CASE("device transitions follow docs/admin-api.md", "[unit]") {
  using A = DeviceAction;
  CHECK(*device_transition(DeviceStatus::kPending, A::kApprove) == DeviceStatus::kActive);
  CHECK(*device_transition(DeviceStatus::kActive, A::kQuarantine) == DeviceStatus::kQuarantined);
  CHECK(*device_transition(DeviceStatus::kQuarantined, A::kUnquarantine) == DeviceStatus::kActive);
  CHECK(*device_transition(DeviceStatus::kActive, A::kExpire) == DeviceStatus::kExpired);
  CHECK(*device_transition(DeviceStatus::kQuarantined, A::kExpire) == DeviceStatus::kExpired);
  for (DeviceStatus s : {DeviceStatus::kPending, DeviceStatus::kActive, DeviceStatus::kQuarantined,
                         DeviceStatus::kExpired}) {
    CHECK(*device_transition(s, A::kRevoke) == DeviceStatus::kRevoked);
  }
  // Revoked is final; illegal transitions are 409.
  for (A a : {A::kApprove, A::kRevoke, A::kQuarantine, A::kUnquarantine, A::kExpire}) {
    auto r = device_transition(DeviceStatus::kRevoked, a);
    REQUIRE_FALSE(r.ok());
    CHECK(http_status(r.error().code()) == 409);
  }
  CHECK_FALSE(device_transition(DeviceStatus::kActive, A::kApprove).ok());
  CHECK_FALSE(device_transition(DeviceStatus::kPending, A::kQuarantine).ok());
  CHECK_FALSE(device_transition(DeviceStatus::kPending, A::kExpire).ok());
  CHECK_FALSE(device_transition(DeviceStatus::kExpired, A::kUnquarantine).ok());
}
