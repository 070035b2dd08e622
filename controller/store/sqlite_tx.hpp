// Internal: the SQLite implementation of Tx. Used only by sqlite_store.cpp and the
// sqlite_tx_*.cpp files that implement its methods, one file per table group.
#pragma once

#include "controller/store/sqlite_db.hpp"
#include "controller/store/store.hpp"

namespace ward::store {

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(sqlite::Connection& conn) : conn_(conn) {}

  Result<std::int64_t> create_user(const User& user, Time now) override;
  Result<User> user_by_id(std::int64_t id) override;
  Result<User> user_by_email(std::string_view email) override;
  Result<std::vector<User>> list_users() override;
  Result<std::int64_t> count_users() override;
  Status update_user(const User& user) override;
  Status advance_totp_step(std::int64_t user_id, std::int64_t step) override;

  Result<std::int64_t> create_device(const Device& device, Time now) override;
  Result<Device> device_by_id(std::int64_t id) override;
  Result<Device> device_by_name(std::string_view name) override;
  Result<Device> device_by_public_key(std::string_view wg_public_key) override;
  Result<Device> device_by_cert_serial(std::string_view serial) override;
  Result<std::vector<Device>> list_devices(std::optional<std::int64_t> user_id) override;
  Status update_device(const Device& device) override;
  Result<bool> address_allocated(std::string_view address) override;
  Status reserve_address(std::string_view address, Time now) override;

  Result<std::int64_t> create_enrollment_key(const EnrollmentKey& key, Time now) override;
  Result<EnrollmentKey> enrollment_key_by_id(std::int64_t id) override;
  Result<std::vector<EnrollmentKey>> list_enrollment_keys() override;
  Status revoke_enrollment_key(std::int64_t id) override;
  Result<EnrollmentKey> consume_enrollment_key(const Bytes& key_hash, Time now) override;

  Result<std::int64_t> create_session(const Session& session) override;
  Result<Session> session_by_token_hash(const Bytes& token_hash) override;
  Status touch_session(std::int64_t id, Time now) override;
  Status revoke_session(std::int64_t id) override;
  Result<std::int64_t> revoke_user_sessions(std::int64_t user_id) override;
  Result<std::int64_t> delete_stale_sessions(Time before) override;

  Result<std::optional<std::string>> setting(std::string_view key) override;
  Status set_setting(std::string_view key, std::string_view value, Time now) override;

  Result<LoginFailures> login_failures(std::string_view key) override;
  Status put_login_failures(const LoginFailures& record) override;
  Status clear_login_failures(std::string_view key) override;

  Result<std::int64_t> insert_policy(const PolicyVersion& policy, Time now) override;
  Result<PolicyVersion> latest_policy() override;
  Result<PolicyVersion> policy_by_version(std::int64_t version) override;
  Result<std::vector<PolicyVersion>> list_policies() override;

  Result<std::optional<AuditRow>> audit_head() override;
  Status insert_audit_row(const AuditRow& row) override;
  Result<std::vector<AuditRow>> audit_rows_by_position(std::int64_t after_position,
                                                       std::int64_t limit) override;
  Result<std::vector<AuditRow>> list_audit_rows(const AuditQuery& query) override;
  Status insert_audit_checkpoint(const AuditCheckpoint& checkpoint) override;
  Result<std::vector<AuditCheckpoint>> audit_checkpoints() override;
  Result<std::optional<AuditCheckpoint>> latest_audit_checkpoint() override;

 private:
  sqlite::Connection& conn_;
};

// JSON array of strings <-> vector (the columns are CHECKed to hold JSON arrays).
std::string string_list_to_json(const std::vector<std::string>& list);
Result<std::vector<std::string>> string_list_from_json(std::string_view json,
                                                       std::string_view what);
// Checks that text is a JSON value of the given kind ("object" or "array").
Status check_json(std::string_view text, std::string_view kind, std::string_view what);

}  // namespace ward::store
