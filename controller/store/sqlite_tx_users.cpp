// SqliteTx: users.
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {
namespace {

constexpr const char* kUserColumns =
    "id, email, display_name, role, groups, password_hash, totp_secret_sealed, "
    "totp_last_step, disabled, created_at";

Result<User> read_user(sqlite::Statement& st) {
  User u;
  u.id = st.int64(0);
  u.email = st.text(1);
  u.display_name = st.text(2);
  WARD_ASSIGN_OR_RETURN(u.role, parse_role(st.text(3)));
  WARD_ASSIGN_OR_RETURN(u.groups, string_list_from_json(st.text(4), "users.groups"));
  u.password_hash = st.text(5);
  u.totp_secret_sealed = st.blob(6);
  u.totp_last_step = st.opt_int64(7);
  u.disabled = st.boolean(8);
  u.created_at = st.time(9);
  return u;
}

Result<User> one_user(sqlite::Connection::Cached st, std::string_view what) {
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no user with " + std::string(what));
  return read_user(*st);
}

}  // namespace

Result<std::int64_t> SqliteTx::create_user(const User& user, Time now) {
  static const std::string sql =
      "INSERT INTO users (email, display_name, role, groups, password_hash, "
      "totp_secret_sealed, totp_last_step, disabled, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached(sql.c_str()));
  std::optional<Bytes> sealed;
  if (!user.totp_secret_sealed.empty()) sealed = user.totp_secret_sealed;
  WARD_RETURN_IF_ERROR(st->bind_all(user.email, user.display_name, role_name(user.role),
                                    string_list_to_json(user.groups), user.password_hash, sealed,
                                    user.totp_last_step, user.disabled, now));
  Status s = st->run();
  if (!s) {
    if (s.error().code() == ErrorCode::kAlreadyExists) {
      return Error::already_exists("a user with e-mail " + quote(user.email) + " exists");
    }
    return std::move(s).error().context("creating user");
  }
  return conn_.last_insert_rowid();
}

Result<User> SqliteTx::user_by_id(std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?";
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached(sql.c_str()));
  WARD_RETURN_IF_ERROR(st->bind_all(id));
  return one_user(std::move(st), "id " + std::to_string(id));
}

Result<User> SqliteTx::user_by_email(std::string_view email) {
  static const std::string sql =
      std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?";  // NOCASE column
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached(sql.c_str()));
  WARD_RETURN_IF_ERROR(st->bind_all(email));
  return one_user(std::move(st), "e-mail " + quote(email));
}

Result<std::vector<User>> SqliteTx::list_users() {
  static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users ORDER BY id";
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached(sql.c_str()));
  std::vector<User> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    WARD_ASSIGN_OR_RETURN(User u, read_user(*st));
    out.push_back(std::move(u));
  }
  return out;
}

Result<std::int64_t> SqliteTx::count_users() {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("SELECT count(*) FROM users"));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::internal("count(*) returned no row");
  return st->int64(0);
}

Status SqliteTx::update_user(const User& user) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("UPDATE users SET display_name = ?, role = ?, groups = ?, "
                            "password_hash = ?, totp_secret_sealed = ?, totp_last_step = ?, "
                            "disabled = ? WHERE id = ?"));
  std::optional<Bytes> sealed;
  if (!user.totp_secret_sealed.empty()) sealed = user.totp_secret_sealed;
  WARD_RETURN_IF_ERROR(st->bind_all(user.display_name, role_name(user.role),
                                    string_list_to_json(user.groups), user.password_hash, sealed,
                                    user.totp_last_step, user.disabled, user.id));
  WARD_RETURN_IF_ERROR(st->run());
  if (conn_.changes() != 1) return Error::not_found("no user with id " + std::to_string(user.id));
  return ok();
}

Status SqliteTx::advance_totp_step(std::int64_t user_id, std::int64_t step) {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("UPDATE users SET totp_last_step = ?1 WHERE id = ?2 AND "
                                     "(totp_last_step IS NULL OR totp_last_step < ?1)"));
  WARD_RETURN_IF_ERROR(st->bind_all(step, user_id));
  WARD_RETURN_IF_ERROR(st->run());
  if (conn_.changes() == 1) return ok();
  WARD_RETURN_IF_ERROR(user_by_id(user_id));  // NotFound for an unknown user
  return Error::already_exists("TOTP code already used");
}

}  // namespace ward::store
