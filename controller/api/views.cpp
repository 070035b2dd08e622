#include "controller/api/views.hpp"

#include <charconv>

#include "controller/audit/canonical.hpp"

namespace ward::controller {

std::string device_public_id(std::int64_t id) {
  return "dev_" + std::to_string(id);
}

std::optional<std::int64_t> parse_device_public_id(std::string_view text) {
  if (!text.starts_with("dev_") || text.size() > 4 + 18 || text.size() == 4) return std::nullopt;
  std::int64_t n = 0;
  const char* begin = text.data() + 4;
  const char* end = text.data() + text.size();
  if (*begin == '0') return std::nullopt;  // canonical form only
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || ptr != end || n < 1) return std::nullopt;
  return n;
}

std::string format_time(store::Time t) {
  return audit::format_time(t);
}

nlohmann::json optional_time(const std::optional<store::Time>& t) {
  return t ? nlohmann::json(format_time(*t)) : nlohmann::json(nullptr);
}

nlohmann::json user_json(const store::User& user) {
  return {{"email", user.email},
          {"display_name", user.display_name},
          {"role", std::string(store::role_name(user.role))},
          {"groups", user.groups},
          {"disabled", user.disabled},
          {"mfa_enrolled", !user.totp_secret_sealed.empty()},
          {"created_at", format_time(user.created_at)}};
}

nlohmann::json device_addresses(const store::Device& device) {
  return nlohmann::json::array({device.overlay_v4 + "/32", device.overlay_v6 + "/128"});
}

nlohmann::json device_json(const store::Device& device,
                           const std::optional<std::string>& owner_email) {
  auto parse_or = [](const std::string& text, nlohmann::json fallback) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_discarded() ? fallback : j;
  };
  return {{"id", device_public_id(device.id)},
          {"name", device.name},
          {"user", owner_email ? nlohmann::json(*owner_email) : nlohmann::json(nullptr)},
          {"tags", device.tags},
          {"status", std::string(store::device_status_name(device.status))},
          {"addresses", device_addresses(device)},
          {"wg_public_key", device.wg_public_key},
          {"cert_serial", device.cert_serial},
          {"cert_not_after", optional_time(device.cert_not_after)},
          {"created_at", format_time(device.created_at)},
          {"last_seen", optional_time(device.last_seen)},
          {"os", device.os},
          {"hostname", device.hostname},
          {"posture", parse_or(device.posture_json, nlohmann::json::object())},
          {"endpoints", parse_or(device.endpoints_json, nlohmann::json::array())}};
}

nlohmann::json key_json(const store::EnrollmentKey& key,
                        const std::optional<std::string>& creator_email) {
  return {{"id", key.id},
          {"prefix", key.description},
          {"reusable", key.reusable},
          {"max_uses", key.max_uses ? nlohmann::json(*key.max_uses) : nlohmann::json(nullptr)},
          {"uses", key.uses},
          {"expires_at", format_time(key.expires_at)},
          {"tags", key.tags},
          {"preapproved", key.preapproved},
          {"revoked", key.revoked},
          {"created_by", creator_email ? nlohmann::json(*creator_email) : nlohmann::json(nullptr)},
          {"created_at", format_time(key.created_at)}};
}

}  // namespace ward::controller
