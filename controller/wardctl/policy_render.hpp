// Human renderings of policy answers (pure): the check report, a test decision, failing
// tests, and a netmap (with or without explanations). They accept both the admin API's
// shapes and the offline ones (controller/policy's to_json), which differ only in how a
// netmap's filter is spelled ({"inbound": [...]} with numbers, or a list with strings).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ward::wardctl {

std::string render_check(const nlohmann::json& check);
std::string render_failures(const nlohmann::json& body);
std::string render_decision(const nlohmann::json& decision);
std::string render_netmap(const nlohmann::json& netmap, bool explain);

}  // namespace ward::wardctl
