#include "controller/policy/inventory.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "controller/policy/alias.hpp"
#include "controller/policy/hujson.hpp"
#include "controller/policy/read_file.hpp"

namespace ward::policy {

namespace {

using hujson::Member;
using hujson::Value;

constexpr std::size_t kMaxInventoryBytes = 64 * 1024 * 1024;

}  // namespace

std::string_view device_status_name(DeviceStatus s) {
  switch (s) {
    case DeviceStatus::kPending:
      return "pending";
    case DeviceStatus::kActive:
      return "active";
    case DeviceStatus::kQuarantined:
      return "quarantined";
    case DeviceStatus::kRevoked:
      return "revoked";
    case DeviceStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

Result<DeviceStatus> parse_device_status(std::string_view s) {
  for (DeviceStatus d : {DeviceStatus::kPending, DeviceStatus::kActive, DeviceStatus::kQuarantined,
                         DeviceStatus::kRevoked, DeviceStatus::kExpired}) {
    if (device_status_name(d) == s) return d;
  }
  return Error::invalid_argument("unknown device status " + quote(s) +
                                 "; expected pending, active, quarantined, revoked or expired");
}

bool Device::has_tag(std::string_view tag) const {
  return std::binary_search(tags.begin(), tags.end(), tag);
}

std::vector<net::Prefix> Device::addresses() const {
  std::vector<net::Prefix> out;
  if (overlay_v4) out.push_back(*net::Prefix::make(*overlay_v4, 32));
  if (overlay_v6) out.push_back(*net::Prefix::make(*overlay_v6, 128));
  return out;
}

bool is_wireguard_key(std::string_view t) {
  if (t.size() != 44 || t[43] != '=') return false;
  static constexpr std::string_view kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < 43; ++i) {
    if (kB64.find(t[i]) == std::string_view::npos) return false;
  }
  // The last character carries 2 padding bits that must be zero.
  return kB64.find(t[42]) % 4 == 0;
}

Status validate_device(Device& d) {
  if (!valid_name(d.id)) {
    return Error::invalid_argument("bad device id " + quote(d.id) +
                                   "; expected 1-128 letters, digits, - _ .");
  }
  if (!valid_name(d.name)) {
    return Error::invalid_argument("bad device name " + quote(d.name) + " of device " + d.id +
                                   "; expected 1-128 letters, digits, - _ .");
  }
  d.user = lower_ascii(d.user);
  for (const std::string& t : d.tags) {
    if (!t.starts_with("tag:") || !valid_name(t.substr(4))) {
      return Error::invalid_argument("bad tag " + quote(t) + " on device " + d.id +
                                     "; expected tag:<name>");
    }
  }
  std::sort(d.tags.begin(), d.tags.end());
  d.tags.erase(std::unique(d.tags.begin(), d.tags.end()), d.tags.end());
  if (d.user.empty() && d.tags.empty()) {
    return Error::invalid_argument("device " + d.id +
                                   " has neither a user nor tags; expected "
                                   "one of them");
  }
  if (!d.public_key.empty() && !is_wireguard_key(d.public_key)) {
    return Error::invalid_argument("device " + d.id + " has a malformed public key " +
                                   quote(d.public_key) + "; expected 44 characters of base64");
  }
  if (d.overlay_v4 && !d.overlay_v4->is_v4()) {
    return Error::invalid_argument("device " + d.id + ": overlay_v4 is not an IPv4 address");
  }
  if (d.overlay_v6 && !d.overlay_v6->is_v6()) {
    return Error::invalid_argument("device " + d.id + ": overlay_v6 is not an IPv6 address");
  }
  return ok();
}

Status validate_inventory(Inventory& inv) {
  std::set<std::string> emails;
  for (User& u : inv.users) {
    u.email = lower_ascii(u.email);
    if (u.email.find('@') == std::string::npos) {
      return Error::invalid_argument("bad user email " + quote(u.email) +
                                     "; expected an email address");
    }
    if (!emails.insert(u.email).second) {
      return Error::invalid_argument("duplicate user " + quote(u.email));
    }
    for (std::string& g : u.groups) {
      if (!g.starts_with("group:")) g = "group:" + g;
      if (!valid_name(g.substr(6))) {
        return Error::invalid_argument("bad group " + quote(g) + " of user " + u.email +
                                       "; expected group:<name>");
      }
    }
    std::sort(u.groups.begin(), u.groups.end());
    u.groups.erase(std::unique(u.groups.begin(), u.groups.end()), u.groups.end());
  }
  std::set<std::string> ids, names;
  std::set<net::IpAddress> addrs;
  for (Device& d : inv.devices) {
    WARD_RETURN_IF_ERROR(validate_device(d));
    if (!ids.insert(d.id).second)
      return Error::invalid_argument("duplicate device id " + quote(d.id));
    if (!names.insert(d.name).second) {
      return Error::invalid_argument("duplicate device name " + quote(d.name));
    }
    if (!d.user.empty() && !emails.contains(d.user)) {
      return Error::invalid_argument("device " + d.id + " belongs to unknown user " +
                                     quote(d.user) + "; expected a user listed in users");
    }
    for (const auto& a : {d.overlay_v4, d.overlay_v6}) {
      if (a && !addrs.insert(*a).second) {
        return Error::invalid_argument("overlay address " + a->to_string() + " of device " + d.id +
                                       " is used by another device");
      }
    }
  }
  return ok();
}

namespace {

class InventoryParser {
 public:
  explicit InventoryParser(const hujson::Document& doc) : src_(doc.source), root_(doc.root) {}

  Result<Inventory> run() {
    Inventory inv;
    if (!root_.is_object()) return src_.error(root_.offset, "expected an object at the top level");
    WARD_RETURN_IF_ERROR(keys(root_, {"version", "users", "devices"}, "the inventory"));
    if (const Value* v = root_.find("version")) {
      if (!v->is_number() || v->text != "1") {
        return src_.error(v->offset, "unsupported inventory version; expected 1");
      }
    }
    if (const Value* us = root_.find("users")) {
      if (!us->is_array()) return src_.error(us->offset, "expected an array of users");
      for (const Value& u : us->items) {
        WARD_ASSIGN_OR_RETURN(User user, parse_user(u));
        inv.users.push_back(std::move(user));
      }
    }
    if (const Value* ds = root_.find("devices")) {
      if (!ds->is_array()) return src_.error(ds->offset, "expected an array of devices");
      for (const Value& d : ds->items) {
        WARD_ASSIGN_OR_RETURN(Device dev, parse_device(d));
        inv.devices.push_back(std::move(dev));
      }
    }
    WARD_RETURN_IF_ERROR(cross_check(inv));
    // Normalisation and a final check of the whole contract.
    auto st = validate_inventory(inv);
    if (!st) return src_.error(root_.offset, st.error().message());
    return inv;
  }

 private:
  // Whole-inventory checks, each reported at the offending value.
  Status cross_check(const Inventory& inv) const {
    std::set<std::string> emails;
    if (const Value* us = root_.find("users")) {
      for (std::size_t i = 0; i < inv.users.size(); ++i) {
        std::string e = lower_ascii(inv.users[i].email);
        if (!emails.insert(e).second) {
          return src_.error(us->items[i].offset, "duplicate user " + quote(e));
        }
      }
    }
    const Value* ds = root_.find("devices");
    std::set<std::string> ids, names;
    std::set<net::IpAddress> addrs;
    for (std::size_t i = 0; i < inv.devices.size(); ++i) {
      const Device& d = inv.devices[i];
      const Value& item = ds->items[i];
      auto at = [&](const char* key) {
        const Value* v = item.find(key);
        return v ? v->offset : item.offset;
      };
      if (!ids.insert(d.id).second)
        return src_.error(at("id"), "duplicate device id " + quote(d.id));
      if (!names.insert(d.name).second) {
        return src_.error(at("name"), "duplicate device name " + quote(d.name));
      }
      if (!d.user.empty() && !emails.contains(d.user)) {
        return src_.error(at("user"), "device " + d.id + " belongs to unknown user " +
                                          quote(d.user) + "; expected a user listed in users");
      }
      for (const auto& a : {d.overlay_v4, d.overlay_v6}) {
        if (a && !addrs.insert(*a).second) {
          return src_.error(at("addresses"), "overlay address " + a->to_string() + " of device " +
                                                 d.id + " is used by another device");
        }
      }
    }
    return ok();
  }

  Status keys(const Value& obj, std::initializer_list<std::string_view> allowed,
              std::string_view what) const {
    for (const Member& m : obj.members) {
      if (std::find(allowed.begin(), allowed.end(), m.key) == allowed.end()) {
        std::string list;
        for (std::string_view k : allowed)
          list += (list.empty() ? "" : ", ") + std::string(k);
        return src_.error(m.key_offset, "unknown key " + quote(m.key) + " in " + std::string(what) +
                                            "; expected one of " + list);
      }
    }
    return ok();
  }

  Result<std::string> str(const Value& obj, std::string_view key, bool required) const {
    const Value* v = obj.find(key);
    if (!v) {
      if (required) {
        return src_.error(obj.offset, "missing \"" + std::string(key) + "\"; expected a string");
      }
      return std::string();
    }
    if (!v->is_string())
      return src_.error(v->offset, "expected a string for \"" + std::string(key) + "\"");
    return v->text;
  }

  Result<std::vector<std::string>> strs(const Value& obj, std::string_view key) const {
    std::vector<std::string> out;
    const Value* v = obj.find(key);
    if (!v) return out;
    if (!v->is_array())
      return src_.error(v->offset, "expected an array of strings for \"" + std::string(key) + "\"");
    for (const Value& i : v->items) {
      if (!i.is_string()) return src_.error(i.offset, "expected a string");
      out.push_back(i.text);
    }
    return out;
  }

  Result<User> parse_user(const Value& u) const {
    if (!u.is_object()) return src_.error(u.offset, "expected a user object");
    WARD_RETURN_IF_ERROR(keys(u, {"email", "role", "groups"}, "a user"));
    User user;
    WARD_ASSIGN_OR_RETURN(user.email, str(u, "email", true));
    WARD_ASSIGN_OR_RETURN(user.role, str(u, "role", false));
    WARD_ASSIGN_OR_RETURN(user.groups, strs(u, "groups"));
    return user;
  }

  Result<Device> parse_device(const Value& d) const {
    if (!d.is_object()) return src_.error(d.offset, "expected a device object");
    WARD_RETURN_IF_ERROR(keys(
        d,
        {"id", "name", "user", "tags", "public_key", "addresses", "status", "posture", "endpoints"},
        "a device"));
    Device dev;
    WARD_ASSIGN_OR_RETURN(dev.id, str(d, "id", true));
    WARD_ASSIGN_OR_RETURN(dev.name, str(d, "name", false));
    if (dev.name.empty()) dev.name = dev.id;
    WARD_ASSIGN_OR_RETURN(dev.user, str(d, "user", false));
    WARD_ASSIGN_OR_RETURN(dev.tags, strs(d, "tags"));
    WARD_ASSIGN_OR_RETURN(dev.public_key, str(d, "public_key", false));
    WARD_ASSIGN_OR_RETURN(dev.endpoints, strs(d, "endpoints"));
    WARD_ASSIGN_OR_RETURN(std::string status, str(d, "status", true));
    auto st = parse_device_status(status);
    if (!st) return src_.error(d.find("status")->offset, st.error().message());
    dev.status = *st;
    if (const Value* av = d.find("addresses")) {
      if (!av->is_array()) return src_.error(av->offset, "expected an array of overlay addresses");
      for (const Value& a : av->items) {
        if (!a.is_string()) return src_.error(a.offset, "expected an IP address string");
        auto ip = net::IpAddress::parse(a.text);
        if (!ip) return src_.error(a.offset, ip.error().message());
        auto& slot = ip->is_v4() ? dev.overlay_v4 : dev.overlay_v6;
        if (slot) {
          return src_.error(a.offset, "second " + std::string(net::family_name(ip->family())) +
                                          " overlay address; expected at most one per family");
        }
        slot = *ip;
      }
    }
    if (const Value* pv = d.find("posture")) {
      if (!pv->is_object()) return src_.error(pv->offset, "expected an object of posture facts");
      for (const Member& m : pv->members) {
        const Value& v = m.value;
        if (v.is_string() || v.is_number())
          dev.posture[m.key] = v.text;
        else if (v.is_bool())
          dev.posture[m.key] = v.boolean ? "true" : "false";
        else
          return src_.error(v.offset, "expected a string, number or boolean posture fact");
      }
    }
    auto vs = validate_device(dev);
    if (!vs) return src_.error(d.offset, vs.error().message());
    return dev;
  }

  const hujson::SourceMap& src_;
  const Value& root_;
};

}  // namespace

Result<Inventory> parse_inventory(std::string_view text, std::string name) {
  if (text.size() > kMaxInventoryBytes) {
    return Error::invalid_argument(name + ": inventory larger than " +
                                   std::to_string(kMaxInventoryBytes) + " bytes");
  }
  WARD_ASSIGN_OR_RETURN(hujson::Document doc,
                        hujson::parse(text, std::move(name), kMaxInventoryBytes));
  return InventoryParser(doc).run();
}

Result<Inventory> parse_inventory_file(const std::string& path) {
  WARD_ASSIGN_OR_RETURN(std::string text, read_small_file(path, kMaxInventoryBytes));
  return parse_inventory(text, path);
}

}  // namespace ward::policy
