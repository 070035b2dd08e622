// SqliteTx: settings, login failures and policy versions.
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {

Result<std::optional<std::string>> SqliteTx::setting(std::string_view key) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("SELECT value FROM settings WHERE key = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(key));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st->text(0));
}

Status SqliteTx::set_setting(std::string_view key, std::string_view value, Time now) {
  if (key.empty()) return Error::invalid_argument("empty setting name");
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3"));
  WARD_RETURN_IF_ERROR(st->bind_all(key, value, now));
  return st->run();
}

Result<LoginFailures> SqliteTx::login_failures(std::string_view key) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT failures, first_failure_at, last_failure_at, locked_until "
                            "FROM login_failures WHERE key = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(key));
  LoginFailures r;
  r.key = std::string(key);
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return r;
  r.failures = st->int64(0);
  r.first_failure_at = st->time(1);
  r.last_failure_at = st->time(2);
  r.locked_until = st->opt_time(3);
  return r;
}

Status SqliteTx::put_login_failures(const LoginFailures& record) {
  if (record.key.empty()) return Error::invalid_argument("empty login failure key");
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO login_failures (key, failures, first_failure_at, "
                            "last_failure_at, locked_until) VALUES (?1, ?2, ?3, ?4, ?5) "
                            "ON CONFLICT (key) DO UPDATE SET failures = ?2, first_failure_at = ?3, "
                            "last_failure_at = ?4, locked_until = ?5"));
  WARD_RETURN_IF_ERROR(st->bind_all(record.key, record.failures, record.first_failure_at,
                                    record.last_failure_at, record.locked_until));
  return st->run();
}

Status SqliteTx::clear_login_failures(std::string_view key) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("DELETE FROM login_failures WHERE key = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(key));
  return st->run();
}

Result<std::int64_t> SqliteTx::insert_policy(const PolicyVersion& policy, Time now) {
  if (policy.sha256.size() != 32) {
    return Error::invalid_argument("policy sha256 must be 32 bytes");
  }
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("INSERT INTO policies (text, sha256, author, created_at) "
                                     "VALUES (?, ?, ?, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(policy.text, policy.sha256, policy.author, now));
  WARD_RETURN_IF_ERROR(st->run());
  return conn_.last_insert_rowid();
}

namespace {
PolicyVersion read_policy(sqlite::Statement& st, bool with_text) {
  PolicyVersion p;
  p.version = st.int64(0);
  p.sha256 = st.blob(1);
  p.author = st.text(2);
  p.created_at = st.time(3);
  if (with_text) p.text = st.text(4);
  return p;
}
}  // namespace

Result<PolicyVersion> SqliteTx::latest_policy() {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT version, sha256, author, created_at, text FROM policies "
                            "ORDER BY version DESC LIMIT 1"));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no policy has been set");
  return read_policy(*st, true);
}

Result<PolicyVersion> SqliteTx::policy_by_version(std::int64_t version) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT version, sha256, author, created_at, text FROM policies "
                            "WHERE version = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(version));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no policy version " + std::to_string(version));
  return read_policy(*st, true);
}

Result<std::vector<PolicyVersion>> SqliteTx::list_policies() {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("SELECT version, sha256, author, created_at FROM policies "
                                     "ORDER BY version DESC"));
  std::vector<PolicyVersion> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(read_policy(*st, false));
  }
  return out;
}

}  // namespace ward::store
