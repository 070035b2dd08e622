// The controller's storage interface: every read and write goes through a transaction.
//
//   Status s = store.transaction([&](store::Tx& tx) -> Status {
//     WARD_ASSIGN_OR_RETURN(auto key, tx.consume_enrollment_key(hash, now));
//     WARD_ASSIGN_OR_RETURN(auto id, tx.create_device(device, now));
//     return audit_log.append(tx, entry, now);  // same transaction as the change
//   });
//
// Contracts:
// - transaction(fn) runs fn inside one write transaction (SQLite: BEGIN IMMEDIATE, so the
//   write lock is taken up front and check-then-write sequences cannot interleave with
//   another writer, in this process or another). If fn returns ok the transaction is
//   committed, otherwise (or if fn throws, or the commit fails) it is rolled back and
//   nothing fn did is visible. The Tx reference is valid only during fn.
// - read(fn) runs fn in a read-only snapshot; any write attempted through the Tx fails.
// - Transactions do not nest: calling transaction()/read() on the same Store from inside
//   fn deadlocks-by-contract and is refused with an internal error.
// - A Store is safe to share between threads; its transactions are serialised.
//   Several Store objects (connections) on one database file are also safe: writers
//   wait for each other up to the busy timeout, then get an Unavailable error.
// - Errors: NotFound for a missing row, AlreadyExists for a uniqueness violation
//   (e-mail, device name, WireGuard key, an overlay address ever handed out),
//   InvalidArgument for values the schema rejects, Unavailable when the database is
//   locked past the busy timeout, Corruption/Io/Internal otherwise.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/result.hpp"
#include "controller/store/types.hpp"

namespace ward::store {

// Filters for list_audit_rows: rows with after_seq < seq, oldest first, at most limit.
struct AuditQuery {
  std::int64_t after_seq = 0;
  std::int64_t limit = 1000;
};

class Tx {
 public:
  virtual ~Tx() = default;

  // --- users
  // Inserts user (id and created_at are ignored/overwritten); returns the new id.
  virtual Result<std::int64_t> create_user(const User& user, Time now) = 0;
  virtual Result<User> user_by_id(std::int64_t id) = 0;
  virtual Result<User> user_by_email(std::string_view email) = 0;
  virtual Result<std::vector<User>> list_users() = 0;
  virtual Result<std::int64_t> count_users() = 0;
  // Writes the mutable fields (display_name, role, groups, password_hash,
  // totp_secret_sealed, totp_last_step, disabled) of the user with user.id.
  virtual Status update_user(const User& user) = 0;
  // Records that TOTP time step `step` was used, only if it is newer than the stored
  // one (compare-and-set, so one code cannot log in twice even across connections).
  // AlreadyExists if step <= the recorded step.
  virtual Status advance_totp_step(std::int64_t user_id, std::int64_t step) = 0;

  // --- devices
  // Inserts the device and records both overlay addresses in allocated_addresses in
  // the same transaction: AlreadyExists if either was ever handed out before.
  virtual Result<std::int64_t> create_device(const Device& device, Time now) = 0;
  virtual Result<Device> device_by_id(std::int64_t id) = 0;
  virtual Result<Device> device_by_name(std::string_view name) = 0;
  virtual Result<Device> device_by_public_key(std::string_view wg_public_key) = 0;
  virtual Result<Device> device_by_cert_serial(std::string_view serial) = 0;
  // All devices, or only those owned by user_id.
  virtual Result<std::vector<Device>> list_devices(std::optional<std::int64_t> user_id) = 0;
  // Writes the mutable fields (name, user_id, tags, status, cert_serial,
  // cert_not_after, last_seen, posture_json, os, hostname, endpoints_json). The
  // WireGuard key and overlay addresses are fixed for a device's life.
  virtual Status update_device(const Device& device) = 0;
  // True if address was ever handed out (to any device, even a revoked one).
  virtual Result<bool> address_allocated(std::string_view address) = 0;
  // Reserves an address without a device (e.g. the controller's own); AlreadyExists if
  // it was ever handed out.
  virtual Status reserve_address(std::string_view address, Time now) = 0;

  // --- enrollment keys
  virtual Result<std::int64_t> create_enrollment_key(const EnrollmentKey& key, Time now) = 0;
  virtual Result<EnrollmentKey> enrollment_key_by_id(std::int64_t id) = 0;
  virtual Result<std::vector<EnrollmentKey>> list_enrollment_keys() = 0;
  virtual Status revoke_enrollment_key(std::int64_t id) = 0;
  // Checks that the key with this hash exists, is not revoked, has not expired at now
  // and has uses left, and counts one use — atomically, in the caller's transaction.
  // Returns the key as it is after the use. Unauthenticated naming the reason
  // ("unknown", "revoked", "expired", "used up") otherwise; the message never contains
  // the key or its hash.
  virtual Result<EnrollmentKey> consume_enrollment_key(const Bytes& key_hash, Time now) = 0;

  // --- sessions
  virtual Result<std::int64_t> create_session(const Session& session) = 0;
  virtual Result<Session> session_by_token_hash(const Bytes& token_hash) = 0;
  virtual Status touch_session(std::int64_t id, Time now) = 0;
  virtual Status revoke_session(std::int64_t id) = 0;
  // Revokes every session of a user (disable, role change, MFA reset); returns how many.
  virtual Result<std::int64_t> revoke_user_sessions(std::int64_t user_id) = 0;
  // Deletes sessions that expired or were revoked before `before`; returns how many.
  virtual Result<std::int64_t> delete_stale_sessions(Time before) = 0;

  // --- settings (small typed values are the caller's business; stored as text)
  virtual Result<std::optional<std::string>> setting(std::string_view key) = 0;
  virtual Status set_setting(std::string_view key, std::string_view value, Time now) = 0;

  // --- login failures (rate limiting state that survives restarts)
  // NotFound-free: returns a zero record for an unknown key.
  virtual Result<LoginFailures> login_failures(std::string_view key) = 0;
  virtual Status put_login_failures(const LoginFailures& record) = 0;
  virtual Status clear_login_failures(std::string_view key) = 0;

  // --- policies (append-only versions)
  virtual Result<std::int64_t> insert_policy(const PolicyVersion& policy, Time now) = 0;
  virtual Result<PolicyVersion> latest_policy() = 0;  // NotFound when none
  virtual Result<PolicyVersion> policy_by_version(std::int64_t version) = 0;
  // Versions without their text, newest first.
  virtual Result<std::vector<PolicyVersion>> list_policies() = 0;

  // --- audit storage (ward::audit gives these rows their meaning; use ward::audit::Log)
  // The last row by insertion order, or nullopt for an empty log.
  virtual Result<std::optional<AuditRow>> audit_head() = 0;
  virtual Status insert_audit_row(const AuditRow& row) = 0;
  // Rows in insertion order with position > after_position, at most limit.
  virtual Result<std::vector<AuditRow>> audit_rows_by_position(std::int64_t after_position,
                                                               std::int64_t limit) = 0;
  virtual Result<std::vector<AuditRow>> list_audit_rows(const AuditQuery& query) = 0;
  virtual Status insert_audit_checkpoint(const AuditCheckpoint& checkpoint) = 0;
  virtual Result<std::vector<AuditCheckpoint>> audit_checkpoints() = 0;  // by seq
  virtual Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // See the file comment. fn's error is returned unchanged (after the rollback).
  virtual Status transaction(const std::function<Status(Tx&)>& fn) = 0;
  virtual Status read(const std::function<Status(Tx&)>& fn) = 0;

  // Convenience for transactions that produce a value.
  template <class T, class Fn>
  Result<T> transaction_value(Fn&& fn) {
    std::optional<T> out;
    Status s = transaction([&](Tx& tx) -> Status {
      Result<T> r = fn(tx);
      if (!r) return std::move(r).error();
      out.emplace(std::move(r).value());
      return ok();
    });
    if (!s) return std::move(s).error();
    return std::move(*out);
  }
  template <class T, class Fn>
  Result<T> read_value(Fn&& fn) {
    std::optional<T> out;
    Status s = read([&](Tx& tx) -> Status {
      Result<T> r = fn(tx);
      if (!r) return std::move(r).error();
      out.emplace(std::move(r).value());
      return ok();
    });
    if (!s) return std::move(s).error();
    return std::move(*out);
  }
};

}  // namespace ward::store
