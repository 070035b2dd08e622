// JSON views of stored records for API answers (docs/admin-api.md: User, Device, Key).
// Pure. They never include a secret or a hash of one: no password hash, no sealed TOTP
// seed, no key or token hash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "controller/store/types.hpp"

namespace ward::controller {

// "dev_<n>": the public id of a device, and the CN of its certificate.
std::string device_public_id(std::int64_t id);
// The numeric id of "dev_<n>", or nullopt if text is not of that form.
std::optional<std::int64_t> parse_device_public_id(std::string_view text);

// RFC 3339 UTC with milliseconds.
std::string format_time(store::Time t);
nlohmann::json optional_time(const std::optional<store::Time>& t);

nlohmann::json user_json(const store::User& user);
// owner_email: the owning user's e-mail, or nullopt for a tagged device without owner.
nlohmann::json device_json(const store::Device& device,
                           const std::optional<std::string>& owner_email);
// creator_email: the creating user's e-mail, if known.
nlohmann::json key_json(const store::EnrollmentKey& key,
                        const std::optional<std::string>& creator_email);
// The device's overlay addresses as host prefixes: ["100.64.0.7/32", "fd..::7/128"].
nlohmann::json device_addresses(const store::Device& device);

}  // namespace ward::controller
