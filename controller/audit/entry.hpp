// Audit log entries: who (actor) did what (action) to what (target), from where
// (source), with which outcome, plus a small details object.
//
// Entries must never carry secrets: validate_event() refuses details keys that name
// secret material (password, token, secret, totp code, private key, enrollment key...)
// as a second line of defence; callers must still not put secrets anywhere in an event.
// Details values are JSON without floating-point numbers (their text form is not
// canonical), at most 8 levels deep and 8 KiB serialized.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "controller/store/types.hpp"

namespace ward::audit {

enum class ActorKind { kUser, kDevice, kSystem };
std::string_view actor_kind_name(ActorKind kind);  // "user", "device", "system"
Result<ActorKind> parse_actor_kind(std::string_view name);

enum class Outcome { kSuccess, kFailure, kDenied };
std::string_view outcome_name(Outcome outcome);  // "success", "failure", "denied"
Result<Outcome> parse_outcome(std::string_view name);

struct Actor {
  ActorKind kind = ActorKind::kSystem;
  std::string id;    // user or device id as text; empty for the system or an unknown user
  std::string name;  // e-mail or device name at the time; "controller" for the system

  static Actor system() { return {ActorKind::kSystem, "", "controller"}; }
  static Actor user(std::int64_t id, std::string email) {
    return {ActorKind::kUser, std::to_string(id), std::move(email)};
  }
  static Actor device(std::int64_t id, std::string name) {
    return {ActorKind::kDevice, std::to_string(id), std::move(name)};
  }
  friend bool operator==(const Actor&, const Actor&) = default;
};

// What a caller appends; the log assigns seq and time.
struct Event {
  Actor actor;
  std::string source;  // client address ("192.0.2.7"), or "" for internal events
  std::string action;  // dotted lower-case verb, e.g. "user.login", "device.enroll"
  std::string target;  // what was acted on, e.g. "user:7", "device:12", "key:3"
  Outcome outcome = Outcome::kSuccess;
  nlohmann::json details = nlohmann::json::object();
};

// A stored entry.
struct Entry {
  std::int64_t seq = 0;
  store::Time time{};
  Event event;
  store::Bytes entry_hash;  // SHA-256 chain hash (see docs/audit-log.md)
};

// InvalidArgument naming the field if the event is malformed or carries a secret-named
// details key.
Status validate_event(const Event& event);

// Decodes a stored row. Corruption if the row does not hold a well-formed entry.
Result<Entry> entry_from_row(const store::AuditRow& row);

}  // namespace ward::audit
