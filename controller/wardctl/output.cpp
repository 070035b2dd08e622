#include "controller/wardctl/output.hpp"

namespace ward::wardctl {

std::string text_of(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    if (v.empty()) return "-";
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ", ";
      s += text_of(e);
    }
    return s;
  }
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return "-";
  auto it = j.find(key);
  if (it == j.end()) return "-";
  return text_of(*it);
}

void print_json(std::ostream& out, const nlohmann::json& j) {
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace ward::wardctl
