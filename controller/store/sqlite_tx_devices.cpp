// SqliteTx: devices and the never-reused overlay address registry.
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {
namespace {

#define WARD_DEVICE_COLUMNS                                                               \
  "id, name, user_id, tags, wg_public_key, overlay_v4, overlay_v6, status, cert_serial, " \
  "cert_not_after, created_at, last_seen, posture, os, hostname, endpoints"

Result<Device> read_device(sqlite::Statement& st) {
  Device d;
  d.id = st.int64(0);
  d.name = st.text(1);
  d.user_id = st.opt_int64(2);
  WARD_ASSIGN_OR_RETURN(d.tags, string_list_from_json(st.text(3), "devices.tags"));
  d.wg_public_key = st.text(4);
  d.overlay_v4 = st.text(5);
  d.overlay_v6 = st.text(6);
  WARD_ASSIGN_OR_RETURN(d.status, parse_device_status(st.text(7)));
  d.cert_serial = st.text(8);
  d.cert_not_after = st.opt_time(9);
  d.created_at = st.time(10);
  d.last_seen = st.opt_time(11);
  d.posture_json = st.text(12);
  d.os = st.text(13);
  d.hostname = st.text(14);
  d.endpoints_json = st.text(15);
  return d;
}

Result<Device> one_device(sqlite::Connection::Cached st, const std::string& what) {
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no device with " + what);
  return read_device(*st);
}

Status check_device_json(const Device& d) {
  WARD_RETURN_IF_ERROR(check_json(d.posture_json, "object", "posture"));
  WARD_RETURN_IF_ERROR(check_json(d.endpoints_json, "array", "endpoints"));
  if (!d.user_id && d.tags.empty()) {
    return Error::invalid_argument("a device needs an owner user or at least one tag");
  }
  return ok();
}

}  // namespace

Status SqliteTx::reserve_address(std::string_view address, Time now) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO allocated_addresses (address, device_id, allocated_at) "
                            "VALUES (?, NULL, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(address, now));
  Status s = st->run();
  if (!s && s.error().code() == ErrorCode::kAlreadyExists) {
    return Error::already_exists("overlay address " + quote(address) +
                                 " was handed out before and is never reused");
  }
  return s;
}

Result<bool> SqliteTx::address_allocated(std::string_view address) {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("SELECT 1 FROM allocated_addresses WHERE address = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(address));
  return st->step();
}

Result<std::int64_t> SqliteTx::create_device(const Device& device, Time now) {
  WARD_RETURN_IF_ERROR(check_device_json(device));
  if (device.overlay_v4.empty() || device.overlay_v6.empty()) {
    return Error::invalid_argument("a device needs an overlay IPv4 and IPv6 address");
  }
  WARD_RETURN_IF_ERROR(reserve_address(device.overlay_v4, now));
  WARD_RETURN_IF_ERROR(reserve_address(device.overlay_v6, now));
  WARD_ASSIGN_OR_RETURN(
      auto st,
      conn_.cached("INSERT INTO devices (name, user_id, tags, wg_public_key, overlay_v4, "
                   "overlay_v6, status, cert_serial, cert_not_after, created_at, last_seen, "
                   "posture, os, hostname, endpoints) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(
      device.name, device.user_id, string_list_to_json(device.tags), device.wg_public_key,
      device.overlay_v4, device.overlay_v6, device_status_name(device.status), device.cert_serial,
      device.cert_not_after, now, device.last_seen, device.posture_json, device.os, device.hostname,
      device.endpoints_json));
  Status s = st->run();
  if (!s) {
    if (s.error().code() == ErrorCode::kAlreadyExists) {
      return Error::already_exists("a device with name " + quote(device.name) +
                                   " or this WireGuard public key exists");
    }
    return std::move(s).error().context("creating device");
  }
  std::int64_t id = conn_.last_insert_rowid();
  WARD_ASSIGN_OR_RETURN(
      auto link,
      conn_.cached("UPDATE allocated_addresses SET device_id = ? WHERE address IN (?, ?)"));
  WARD_RETURN_IF_ERROR(link->bind_all(id, device.overlay_v4, device.overlay_v6));
  WARD_RETURN_IF_ERROR(link->run());
  return id;
}

Result<Device> SqliteTx::device_by_id(std::int64_t id) {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("SELECT " WARD_DEVICE_COLUMNS " FROM devices WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(id));
  return one_device(std::move(st), "id " + std::to_string(id));
}

Result<Device> SqliteTx::device_by_name(std::string_view name) {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("SELECT " WARD_DEVICE_COLUMNS " FROM devices WHERE name = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(name));
  return one_device(std::move(st), "name " + quote(name));
}

Result<Device> SqliteTx::device_by_public_key(std::string_view wg_public_key) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_DEVICE_COLUMNS " FROM devices WHERE wg_public_key = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(wg_public_key));
  return one_device(std::move(st), "public key " + quote(wg_public_key));
}

Result<Device> SqliteTx::device_by_cert_serial(std::string_view serial) {
  if (serial.empty()) return Error::invalid_argument("empty certificate serial");
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_DEVICE_COLUMNS " FROM devices WHERE cert_serial = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(serial));
  return one_device(std::move(st), "certificate serial " + quote(serial));
}

Result<std::vector<Device>> SqliteTx::list_devices(std::optional<std::int64_t> user_id) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("SELECT " WARD_DEVICE_COLUMNS " FROM devices "
                                              "WHERE ?1 IS NULL OR user_id = ?1 ORDER BY id"));
  WARD_RETURN_IF_ERROR(st->bind_all(user_id));
  std::vector<Device> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    WARD_ASSIGN_OR_RETURN(Device d, read_device(*st));
    out.push_back(std::move(d));
  }
  return out;
}

Status SqliteTx::update_device(const Device& device) {
  WARD_RETURN_IF_ERROR(check_device_json(device));
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("UPDATE devices SET name = ?, user_id = ?, tags = ?, status = ?, "
                            "cert_serial = ?, cert_not_after = ?, last_seen = ?, posture = ?, "
                            "os = ?, hostname = ?, endpoints = ? WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(device.name, device.user_id, string_list_to_json(device.tags),
                                    device_status_name(device.status), device.cert_serial,
                                    device.cert_not_after, device.last_seen, device.posture_json,
                                    device.os, device.hostname, device.endpoints_json, device.id));
  Status s = st->run();
  if (!s) {
    if (s.error().code() == ErrorCode::kAlreadyExists) {
      return Error::already_exists("a device named " + quote(device.name) + " exists");
    }
    return s;
  }
  if (conn_.changes() != 1) {
    return Error::not_found("no device with id " + std::to_string(device.id));
  }
  return ok();
}

}  // namespace ward::store
