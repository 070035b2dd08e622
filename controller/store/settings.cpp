#include "controller/store/settings.hpp"

#include <charconv>
#include <string>

namespace ward::store {
namespace {
constexpr std::int64_t kMaxSeconds = 10LL * 366 * 24 * 3600;
}

Result<bool> bool_setting(Tx& tx, std::string_view key, bool fallback) {
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> v, tx.setting(key));
  if (!v) return fallback;
  if (*v == "true") return true;
  if (*v == "false") return false;
  return Error::corruption("setting " + std::string(key) + " holds " + quote(*v) +
                           "; expected true or false");
}

Status set_bool_setting(Tx& tx, std::string_view key, bool value, Time now) {
  return tx.set_setting(key, value ? "true" : "false", now);
}

Result<std::chrono::seconds> seconds_setting(Tx& tx, std::string_view key,
                                             std::chrono::seconds fallback) {
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> v, tx.setting(key));
  if (!v) return fallback;
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || ptr != v->data() + v->size() || n < 1 || n > kMaxSeconds) {
    return Error::corruption("setting " + std::string(key) + " holds " + quote(*v) +
                             "; expected a number of seconds");
  }
  return std::chrono::seconds(n);
}

Status set_seconds_setting(Tx& tx, std::string_view key, std::chrono::seconds value, Time now) {
  if (value.count() < 1 || value.count() > kMaxSeconds) {
    return Error::invalid_argument("setting " + std::string(key) +
                                   " must be between 1 s and 10 years");
  }
  return tx.set_setting(key, std::to_string(value.count()), now);
}

}  // namespace ward::store
