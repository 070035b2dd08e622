// SqliteTx: enrollment keys and sessions.
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {
namespace {

#define WARD_KEY_COLUMNS                                                                 \
  "id, key_hash, description, reusable, max_uses, uses, expires_at, tags, preapproved, " \
  "revoked, created_by, created_at, last_used_at"

Result<EnrollmentKey> read_key(sqlite::Statement& st) {
  EnrollmentKey k;
  k.id = st.int64(0);
  k.key_hash = st.blob(1);
  k.description = st.text(2);
  k.reusable = st.boolean(3);
  k.max_uses = st.opt_int64(4);
  k.uses = st.int64(5);
  k.expires_at = st.time(6);
  WARD_ASSIGN_OR_RETURN(k.tags, string_list_from_json(st.text(7), "enrollment_keys.tags"));
  k.preapproved = st.boolean(8);
  k.revoked = st.boolean(9);
  k.created_by = st.opt_int64(10);
  k.created_at = st.time(11);
  k.last_used_at = st.opt_time(12);
  return k;
}

#define WARD_SESSION_COLUMNS \
  "id, token_hash, user_id, created_at, expires_at, last_used_at, revoked, source"

Session read_session(sqlite::Statement& st) {
  Session s;
  s.id = st.int64(0);
  s.token_hash = st.blob(1);
  s.user_id = st.int64(2);
  s.created_at = st.time(3);
  s.expires_at = st.time(4);
  s.last_used_at = st.time(5);
  s.revoked = st.boolean(6);
  s.source = st.text(7);
  return s;
}

Status check_hash(const Bytes& h, std::string_view what) {
  if (h.size() != 32) {
    return Error::invalid_argument(std::string(what) + " must be a 32-byte SHA-256 hash");
  }
  return ok();
}

}  // namespace

Result<std::int64_t> SqliteTx::create_enrollment_key(const EnrollmentKey& key, Time now) {
  WARD_RETURN_IF_ERROR(check_hash(key.key_hash, "enrollment key hash"));
  std::optional<std::int64_t> max_uses =
      key.reusable ? key.max_uses : std::optional<std::int64_t>(1);
  WARD_ASSIGN_OR_RETURN(
      auto st,
      conn_.cached("INSERT INTO enrollment_keys (key_hash, description, reusable, max_uses, uses, "
                   "expires_at, tags, preapproved, revoked, created_by, created_at) "
                   "VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(key.key_hash, key.description, key.reusable, max_uses,
                                    key.expires_at, string_list_to_json(key.tags), key.preapproved,
                                    key.created_by, now));
  WARD_RETURN_IF_ERROR(st->run());
  return conn_.last_insert_rowid();
}

Result<EnrollmentKey> SqliteTx::enrollment_key_by_id(std::int64_t id) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_KEY_COLUMNS " FROM enrollment_keys WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(id));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no enrollment key with id " + std::to_string(id));
  return read_key(*st);
}

Result<std::vector<EnrollmentKey>> SqliteTx::list_enrollment_keys() {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_KEY_COLUMNS " FROM enrollment_keys ORDER BY id"));
  std::vector<EnrollmentKey> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    WARD_ASSIGN_OR_RETURN(EnrollmentKey k, read_key(*st));
    out.push_back(std::move(k));
  }
  return out;
}

Status SqliteTx::revoke_enrollment_key(std::int64_t id) {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("UPDATE enrollment_keys SET revoked = 1 WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(id));
  WARD_RETURN_IF_ERROR(st->run());
  if (conn_.changes() != 1)
    return Error::not_found("no enrollment key with id " + std::to_string(id));
  return ok();
}

Result<EnrollmentKey> SqliteTx::consume_enrollment_key(const Bytes& key_hash, Time now) {
  WARD_RETURN_IF_ERROR(check_hash(key_hash, "enrollment key hash"));
  // The validity check and the use are one statement, inside the caller's write
  // transaction: no other enrollment can observe the key between check and use.
  {
    WARD_ASSIGN_OR_RETURN(
        auto st, conn_.cached("UPDATE enrollment_keys SET uses = uses + 1, last_used_at = ?2 "
                              "WHERE key_hash = ?1 AND revoked = 0 AND expires_at > ?2 "
                              "AND (max_uses IS NULL OR uses < max_uses) "
                              "RETURNING " WARD_KEY_COLUMNS));
    WARD_RETURN_IF_ERROR(st->bind_all(key_hash, now));
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (row) {
      WARD_ASSIGN_OR_RETURN(EnrollmentKey k, read_key(*st));
      WARD_RETURN_IF_ERROR(st->run());  // finish the statement
      return k;
    }
  }
  // Refused: find out why, for the audit log. Never echo the key or its hash.
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_KEY_COLUMNS " FROM enrollment_keys WHERE key_hash = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(key_hash));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::unauthenticated("enrollment key unknown");
  WARD_ASSIGN_OR_RETURN(EnrollmentKey k, read_key(*st));
  std::string id = std::to_string(k.id);
  if (k.revoked) return Error::unauthenticated("enrollment key " + id + " is revoked");
  if (k.expires_at <= now) return Error::unauthenticated("enrollment key " + id + " expired");
  return Error::unauthenticated("enrollment key " + id + " is used up");
}

Result<std::int64_t> SqliteTx::create_session(const Session& session) {
  WARD_RETURN_IF_ERROR(check_hash(session.token_hash, "session token hash"));
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, "
                            "last_used_at, revoked, source) VALUES (?, ?, ?, ?, ?, 0, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(session.token_hash, session.user_id, session.created_at,
                                    session.expires_at, session.last_used_at, session.source));
  WARD_RETURN_IF_ERROR(st->run());
  return conn_.last_insert_rowid();
}

Result<Session> SqliteTx::session_by_token_hash(const Bytes& token_hash) {
  WARD_RETURN_IF_ERROR(check_hash(token_hash, "session token hash"));
  // Looked up by the hash: timing can reveal at most a prefix of SHA-256(token), which
  // does not help forge a token.
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_SESSION_COLUMNS " FROM sessions WHERE token_hash = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(token_hash));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return Error::not_found("no such session");
  return read_session(*st);
}

Status SqliteTx::touch_session(std::int64_t id, Time now) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("UPDATE sessions SET last_used_at = ? WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(now, id));
  WARD_RETURN_IF_ERROR(st->run());
  if (conn_.changes() != 1) return Error::not_found("no session with id " + std::to_string(id));
  return ok();
}

Status SqliteTx::revoke_session(std::int64_t id) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("UPDATE sessions SET revoked = 1 WHERE id = ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(id));
  WARD_RETURN_IF_ERROR(st->run());
  if (conn_.changes() != 1) return Error::not_found("no session with id " + std::to_string(id));
  return ok();
}

Result<std::int64_t> SqliteTx::revoke_user_sessions(std::int64_t user_id) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0"));
  WARD_RETURN_IF_ERROR(st->bind_all(user_id));
  WARD_RETURN_IF_ERROR(st->run());
  return conn_.changes();
}

Result<std::int64_t> SqliteTx::delete_stale_sessions(Time before) {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("DELETE FROM sessions WHERE expires_at < ?1 OR "
                                              "(revoked = 1 AND last_used_at < ?1)"));
  WARD_RETURN_IF_ERROR(st->bind_all(before));
  WARD_RETURN_IF_ERROR(st->run());
  return conn_.changes();
}

}  // namespace ward::store
