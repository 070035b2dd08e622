// The inventory the compiler works on: users (email, role, groups) and devices (identity,
// ownership or tags, WireGuard public key, overlay addresses, status, posture facts,
// endpoints). The controller builds it from its store; `wardctl ... --inventory FILE`
// reads it from the JSON file format documented in docs/policy.md.
//
// Contract of a valid Inventory (parse_inventory and validate_inventory guarantee it):
// device ids, device names and user emails are unique; overlay addresses are unique
// across devices; every device's `user`, if set, names a user in `users`; tags start
// with "tag:"; emails are lower case; user groups are "group:<name>".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "common/net/ip.hpp"
#include "controller/policy/posture.hpp"

namespace ward::policy {

enum class DeviceStatus { kPending, kActive, kQuarantined, kRevoked, kExpired };

std::string_view device_status_name(DeviceStatus s);
Result<DeviceStatus> parse_device_status(std::string_view s);

struct User {
  std::string email;
  std::string role;                 // informational ("admin", "member", ...)
  std::vector<std::string> groups;  // "group:<name>", merged with the policy's `groups`
  friend bool operator==(const User&, const User&) = default;
};

struct Device {
  std::string id;
  std::string name;
  std::string user;               // owner email; ignored for access when tags is non-empty
  std::vector<std::string> tags;  // sorted, unique; non-empty makes this a tagged device
  std::string public_key;         // WireGuard public key, base64 (44 characters)
  std::optional<net::IpAddress> overlay_v4;
  std::optional<net::IpAddress> overlay_v6;
  DeviceStatus status = DeviceStatus::kPending;
  PostureFacts posture;
  std::vector<std::string> endpoints;  // "ip:port" / "[ip6]:port" as last reported

  bool tagged() const { return !tags.empty(); }
  bool has_tag(std::string_view tag) const;
  // The overlay addresses as host prefixes (v4 first).
  std::vector<net::Prefix> addresses() const;
  friend bool operator==(const Device&, const Device&) = default;
};

struct Inventory {
  std::vector<User> users;
  std::vector<Device> devices;
};

// Parses the inventory JSON file format (plain JSON; comments and trailing commas are
// tolerated). Errors carry name:line:column and what was expected.
Result<Inventory> parse_inventory(std::string_view text, std::string name = "inventory.json");
Result<Inventory> parse_inventory_file(const std::string& path);

// Checks the contract above (used for inventories built in code) and normalises
// (lower-cases emails, sorts tags, prefixes groups with "group:").
Status validate_inventory(Inventory& inventory);
// Validates one device on its own (ids, names, key, tags, addresses).
Status validate_device(Device& device);

// True if text is a WireGuard public key in base64 (32 bytes: 43 characters and '=').
bool is_wireguard_key(std::string_view text);

}  // namespace ward::policy
