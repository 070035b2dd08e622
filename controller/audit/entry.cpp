#include "controller/audit/entry.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ward::audit {
namespace {

constexpr std::size_t kMaxDetailsBytes = 8192;
constexpr int kMaxDepth = 8;

// Details keys that name secret material. Compared case-insensitively, also with
// '-' for '_'.
constexpr std::array<std::string_view, 15> kSecretKeys{
    "password",       "passwd",        "new_password",    "secret",
    "totp_secret",    "totp",          "totp_code",       "otp",
    "token",          "session_token", "bootstrap_token", "private_key",
    "enrollment_key", "key_material",  "master_key",
};

std::string normalise_key(std::string_view k) {
  std::string out(k);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '-') c = '_';
  }
  return out;
}

Status check_details(const nlohmann::json& j, int depth, const std::string& path) {
  if (depth > kMaxDepth) return Error::invalid_argument("audit details nest too deeply at " + path);
  switch (j.type()) {
    case nlohmann::json::value_t::number_float:
      return Error::invalid_argument("audit details value " + path +
                                     " is a floating-point number; use an integer or string");
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      return Error::invalid_argument("audit details value " + path + " is not plain JSON");
    case nlohmann::json::value_t::object:
      for (const auto& [k, v] : j.items()) {
        std::string nk = normalise_key(k);
        if (std::find(kSecretKeys.begin(), kSecretKeys.end(), nk) != kSecretKeys.end()) {
          return Error::invalid_argument(
              "audit details key " + quote(k) +
              " names secret material; audit entries never hold secrets");
        }
        WARD_RETURN_IF_ERROR(check_details(v, depth + 1, path + "." + k));
      }
      return ok();
    case nlohmann::json::value_t::array:
      for (const auto& v : j)
        WARD_RETURN_IF_ERROR(check_details(v, depth + 1, path + "[]"));
      return ok();
    default:
      return ok();
  }
}

Status check_text(std::string_view value, std::string_view field, std::size_t max_len,
                  bool allow_empty) {
  if (value.empty() && !allow_empty)
    return Error::invalid_argument("audit " + std::string(field) + " is empty");
  if (value.size() > max_len) {
    return Error::invalid_argument("audit " + std::string(field) + " is longer than " +
                                   std::to_string(max_len) + " bytes: " + quote(value));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Error::invalid_argument("audit " + std::string(field) +
                                     " contains a control character: " + quote(value));
    }
  }
  return ok();
}

}  // namespace

std::string_view actor_kind_name(ActorKind kind) {
  switch (kind) {
    case ActorKind::kUser:
      return "user";
    case ActorKind::kDevice:
      return "device";
    case ActorKind::kSystem:
      return "system";
  }
  return "invalid";
}

Result<ActorKind> parse_actor_kind(std::string_view name) {
  if (name == "user") return ActorKind::kUser;
  if (name == "device") return ActorKind::kDevice;
  if (name == "system") return ActorKind::kSystem;
  return Error::invalid_argument("unknown actor kind " + quote(name) +
                                 "; expected user, device or system");
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kFailure:
      return "failure";
    case Outcome::kDenied:
      return "denied";
  }
  return "invalid";
}

Result<Outcome> parse_outcome(std::string_view name) {
  if (name == "success") return Outcome::kSuccess;
  if (name == "failure") return Outcome::kFailure;
  if (name == "denied") return Outcome::kDenied;
  return Error::invalid_argument("unknown outcome " + quote(name) +
                                 "; expected success, failure or denied");
}

Status validate_event(const Event& event) {
  WARD_RETURN_IF_ERROR(check_text(event.actor.id, "actor id", 64, true));
  WARD_RETURN_IF_ERROR(check_text(event.actor.name, "actor name", 256, true));
  WARD_RETURN_IF_ERROR(check_text(event.source, "source", 128, true));
  WARD_RETURN_IF_ERROR(check_text(event.target, "target", 256, true));
  WARD_RETURN_IF_ERROR(check_text(event.action, "action", 64, false));
  for (char c : event.action) {
    bool good =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!good) {
      return Error::invalid_argument("audit action " + quote(event.action) +
                                     " must be lower-case letters, digits, '.', '_' or '-'");
    }
  }
  if (!event.details.is_object())
    return Error::invalid_argument("audit details must be a JSON object");
  WARD_RETURN_IF_ERROR(check_details(event.details, 0, "details"));
  std::string dumped;
  try {
    dumped = event.details.dump();
  } catch (const nlohmann::json::exception&) {
    return Error::invalid_argument("audit details contain invalid UTF-8");
  }
  if (dumped.size() > kMaxDetailsBytes) {
    return Error::invalid_argument("audit details are larger than " +
                                   std::to_string(kMaxDetailsBytes) + " bytes");
  }
  return ok();
}

Result<Entry> entry_from_row(const store::AuditRow& row) {
  Entry e;
  e.seq = row.seq;
  e.time = row.time;
  e.entry_hash = row.entry_hash;
  auto kind = parse_actor_kind(row.actor_kind);
  if (!kind)
    return Error::corruption("audit entry " + std::to_string(row.seq) + ": " +
                             kind.error().message());
  auto outcome = parse_outcome(row.outcome);
  if (!outcome) {
    return Error::corruption("audit entry " + std::to_string(row.seq) + ": " +
                             outcome.error().message());
  }
  e.event.actor = Actor{*kind, row.actor_id, row.actor_name};
  e.event.source = row.source;
  e.event.action = row.action;
  e.event.target = row.target;
  e.event.outcome = *outcome;
  try {
    e.event.details = nlohmann::json::parse(row.details_json);
  } catch (const nlohmann::json::exception&) {
    return Error::corruption("audit entry " + std::to_string(row.seq) + ": details are not JSON");
  }
  if (!e.event.details.is_object()) {
    return Error::corruption("audit entry " + std::to_string(row.seq) +
                             ": details are not an object");
  }
  return e;
}

}  // namespace ward::audit
