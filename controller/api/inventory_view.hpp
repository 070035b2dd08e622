// The policy compiler's view of the store: users and devices as policy::User and
// policy::Device (controller/policy/inventory.hpp). Pure conversions plus one loader.
//
// Contracts:
// - A device's id in policy is its public id ("dev_<n>", views.hpp); its name is the
//   device name; its owner is the owning user's e-mail.
// - A device whose owner is disabled takes part as `pending`: it receives an empty
//   netmap and appears in nobody's, without a terminal stream message (enabling the
//   user restores it). Fail closed: a disabled clinician's laptop reaches nothing.
// - Posture facts: strings as they are, booleans as "true"/"false", integers in decimal;
//   anything else is dropped. Endpoints: the stored JSON array of "ip:port" strings.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "common/base/result.hpp"
#include "controller/policy/inventory.hpp"
#include "controller/store/store.hpp"

namespace ward::controller {

policy::User policy_user(const store::User& user);
// owner: the device's owning user, if it has one.
Result<policy::Device> policy_device(const store::Device& device,
                                     const std::optional<store::User>& owner);

// Every user and every device of the store. A device that does not convert or validate
// (policy::validate_device) is left out — it then reaches nothing — and logged.
Result<policy::Inventory> load_inventory(store::Tx& tx, spdlog::logger& log);

}  // namespace ward::controller
