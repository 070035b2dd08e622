#include <nlohmann/json.hpp>

#include "controller/store/sqlite_tx.hpp"

namespace ward::store {

std::string string_list_to_json(const std::vector<std::string>& list) {
  try {
    return nlohmann::json(list).dump();
  } catch (const nlohmann::json::exception&) {
    // Invalid UTF-8 in an element; callers validate names before they get here.
    return "[]";
  }
}

Result<std::vector<std::string>> string_list_from_json(std::string_view json,
                                                       std::string_view what) {
  try {
    auto j = nlohmann::json::parse(json);
    if (!j.is_array()) return Error::corruption(std::string(what) + " is not a JSON array");
    std::vector<std::string> out;
    out.reserve(j.size());
    for (const auto& e : j) {
      if (!e.is_string()) {
        return Error::corruption(std::string(what) + " holds a non-string element");
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  } catch (const nlohmann::json::exception&) {
    return Error::corruption(std::string(what) + " is not valid JSON");
  }
}

Status check_json(std::string_view text, std::string_view kind, std::string_view what) {
  try {
    auto j = nlohmann::json::parse(text);
    if ((kind == "object" && !j.is_object()) || (kind == "array" && !j.is_array())) {
      return Error::invalid_argument(std::string(what) + " must be a JSON " + std::string(kind));
    }
    return ok();
  } catch (const nlohmann::json::exception&) {
    return Error::invalid_argument(std::string(what) + " is not valid JSON: " + quote(text));
  }
}

}  // namespace ward::store
