#include "controller/review/review.hpp"

namespace ward::review {

nlohmann::json inventory_json(const policy::Inventory& inventory) {
  nlohmann::json users = nlohmann::json::array();
  for (const policy::User& u : inventory.users) {
    users.push_back({{"email", u.email}, {"role", u.role}, {"groups", u.groups}});
  }
  nlohmann::json devices = nlohmann::json::array();
  for (const policy::Device& d : inventory.devices) {
    nlohmann::json addresses = nlohmann::json::array();
    if (d.overlay_v4) addresses.push_back(d.overlay_v4->to_string());
    if (d.overlay_v6) addresses.push_back(d.overlay_v6->to_string());
    nlohmann::json posture = nlohmann::json::object();
    for (const auto& [k, v] : d.posture)
      posture[k] = v;
    nlohmann::json dev = {{"id", d.id},
                          {"name", d.name},
                          {"tags", d.tags},
                          {"public_key", d.public_key},
                          {"addresses", addresses},
                          {"status", std::string(policy::device_status_name(d.status))},
                          {"posture", posture},
                          {"endpoints", d.endpoints}};
    if (!d.user.empty()) dev["user"] = d.user;
    devices.push_back(std::move(dev));
  }
  return {{"version", 1}, {"users", users}, {"devices", devices}};
}

}  // namespace ward::review
