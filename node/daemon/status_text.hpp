// Human-readable rendering of the daemon's status JSON (`ward-node status` without
// --json). Pure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace ward::node::daemon {

std::string render_status_text(const nlohmann::json& status);

}  // namespace ward::node::daemon
