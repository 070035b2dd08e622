#include "controller/api/inventory_view.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "common/log/log.hpp"
#include "common/net/ip.hpp"
#include "controller/api/views.hpp"

namespace ward::controller {
namespace {

policy::DeviceStatus status_of(store::DeviceStatus s) {
  switch (s) {
    case store::DeviceStatus::kPending:
      return policy::DeviceStatus::kPending;
    case store::DeviceStatus::kActive:
      return policy::DeviceStatus::kActive;
    case store::DeviceStatus::kQuarantined:
      return policy::DeviceStatus::kQuarantined;
    case store::DeviceStatus::kRevoked:
      return policy::DeviceStatus::kRevoked;
    case store::DeviceStatus::kExpired:
      return policy::DeviceStatus::kExpired;
  }
  return policy::DeviceStatus::kPending;
}

Result<std::optional<net::IpAddress>> address(const std::string& text) {
  if (text.empty()) return std::optional<net::IpAddress>();
  WARD_ASSIGN_OR_RETURN(net::IpAddress a, net::IpAddress::parse(text));
  return std::optional<net::IpAddress>(a);
}

}  // namespace

policy::User policy_user(const store::User& user) {
  policy::User u;
  u.email = user.email;
  u.role = std::string(store::role_name(user.role));
  u.groups = user.groups;
  return u;
}

Result<policy::Device> policy_device(const store::Device& device,
                                     const std::optional<store::User>& owner) {
  policy::Device d;
  d.id = device_public_id(device.id);
  d.name = device.name;
  if (owner) d.user = owner->email;
  d.tags = device.tags;
  d.public_key = device.wg_public_key;
  WARD_ASSIGN_OR_RETURN(d.overlay_v4, address(device.overlay_v4));
  WARD_ASSIGN_OR_RETURN(d.overlay_v6, address(device.overlay_v6));
  d.status = status_of(device.status);
  if (owner && owner->disabled && d.status == policy::DeviceStatus::kActive) {
    d.status = policy::DeviceStatus::kPending;
  }
  auto facts = nlohmann::json::parse(device.posture_json, nullptr, false);
  if (facts.is_object()) {
    for (const auto& [k, v] : facts.items()) {
      if (v.is_string()) {
        d.posture[k] = v.get<std::string>();
      } else if (v.is_boolean()) {
        d.posture[k] = v.get<bool>() ? "true" : "false";
      } else if (v.is_number_integer()) {
        d.posture[k] = v.dump();
      }
    }
  }
  auto endpoints = nlohmann::json::parse(device.endpoints_json, nullptr, false);
  if (endpoints.is_array()) {
    for (const auto& e : endpoints) {
      if (e.is_string()) d.endpoints.push_back(e.get<std::string>());
    }
  }
  WARD_RETURN_IF_ERROR(policy::validate_device(d));
  return d;
}

Result<policy::Inventory> load_inventory(store::Tx& tx, spdlog::logger& log) {
  policy::Inventory inv;
  WARD_ASSIGN_OR_RETURN(std::vector<store::User> users, tx.list_users());
  std::map<std::int64_t, const store::User*> by_id;
  for (const store::User& u : users) {
    by_id[u.id] = &u;
    inv.users.push_back(policy_user(u));
  }
  WARD_ASSIGN_OR_RETURN(std::vector<store::Device> devices, tx.list_devices(std::nullopt));
  for (const store::Device& dev : devices) {
    std::optional<store::User> owner;
    if (dev.user_id) {
      auto it = by_id.find(*dev.user_id);
      if (it != by_id.end()) owner = *it->second;
    }
    auto d = policy_device(dev, owner);
    if (!d) {
      log::error(log, "device left out of policy",
                 {{"device", device_public_id(dev.id)}, {"problem", d.error().message()}});
      continue;
    }
    inv.devices.push_back(std::move(*d));
  }
  return inv;
}

}  // namespace ward::controller
