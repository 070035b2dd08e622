// Rendering API values for people (pure helpers shared by the command files).
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ward::wardctl {

// j[key] as display text: strings as they are, null/missing as "-", booleans as yes/no,
// numbers in decimal, arrays joined with ", " ("-" when empty), objects as compact JSON.
std::string field(const nlohmann::json& j, std::string_view key);
std::string text_of(const nlohmann::json& v);

// Pretty-printed JSON (2-space indent, invalid UTF-8 replaced) and a newline: --json.
void print_json(std::ostream& out, const nlohmann::json& j);

}  // namespace ward::wardctl
