// SqliteTx: audit rows and checkpoints (storage only; see controller/audit).
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {
namespace {

#define WARD_AUDIT_COLUMNS                                                                   \
  "position, seq, time, actor_kind, actor_id, actor_name, source, action, target, outcome, " \
  "details, entry_hash"

AuditRow read_row(sqlite::Statement& st) {
  AuditRow r;
  r.position = st.int64(0);
  r.seq = st.int64(1);
  r.time = st.time(2);
  r.actor_kind = st.text(3);
  r.actor_id = st.text(4);
  r.actor_name = st.text(5);
  r.source = st.text(6);
  r.action = st.text(7);
  r.target = st.text(8);
  r.outcome = st.text(9);
  r.details_json = st.text(10);
  r.entry_hash = st.blob(11);
  return r;
}

Result<std::vector<AuditRow>> read_rows(sqlite::Connection::Cached& st) {
  std::vector<AuditRow> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(read_row(*st));
  }
  return out;
}

AuditCheckpoint read_checkpoint(sqlite::Statement& st) {
  AuditCheckpoint c;
  c.seq = st.int64(0);
  c.entry_hash = st.blob(1);
  c.time = st.time(2);
  c.signature = st.blob(3);
  return c;
}

}  // namespace

Result<std::optional<AuditRow>> SqliteTx::audit_head() {
  WARD_ASSIGN_OR_RETURN(auto st,
                        conn_.cached("SELECT " WARD_AUDIT_COLUMNS
                                     " FROM audit_entries ORDER BY position DESC LIMIT 1"));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<AuditRow>();
  return std::optional<AuditRow>(read_row(*st));
}

Status SqliteTx::insert_audit_row(const AuditRow& row) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO audit_entries (seq, time, actor_kind, actor_id, "
                            "actor_name, source, action, target, outcome, details, entry_hash) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  WARD_RETURN_IF_ERROR(st->bind_all(row.seq, row.time, row.actor_kind, row.actor_id, row.actor_name,
                                    row.source, row.action, row.target, row.outcome,
                                    row.details_json, row.entry_hash));
  return st->run();
}

Result<std::vector<AuditRow>> SqliteTx::audit_rows_by_position(std::int64_t after_position,
                                                               std::int64_t limit) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_AUDIT_COLUMNS " FROM audit_entries WHERE position > ? "
                            "ORDER BY position LIMIT ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(after_position, limit));
  return read_rows(st);
}

Result<std::vector<AuditRow>> SqliteTx::list_audit_rows(const AuditQuery& query) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("SELECT " WARD_AUDIT_COLUMNS " FROM audit_entries WHERE seq > ? "
                            "ORDER BY seq LIMIT ?"));
  WARD_RETURN_IF_ERROR(st->bind_all(query.after_seq, query.limit));
  return read_rows(st);
}

Status SqliteTx::insert_audit_checkpoint(const AuditCheckpoint& checkpoint) {
  WARD_ASSIGN_OR_RETURN(
      auto st, conn_.cached("INSERT INTO audit_checkpoints (seq, entry_hash, time, signature) "
                            "VALUES (?, ?, ?, ?)"));
  WARD_RETURN_IF_ERROR(
      st->bind_all(checkpoint.seq, checkpoint.entry_hash, checkpoint.time, checkpoint.signature));
  return st->run();
}

Result<std::vector<AuditCheckpoint>> SqliteTx::audit_checkpoints() {
  WARD_ASSIGN_OR_RETURN(
      auto st,
      conn_.cached("SELECT seq, entry_hash, time, signature FROM audit_checkpoints ORDER BY seq"));
  std::vector<AuditCheckpoint> out;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(bool row, st->step());
    if (!row) break;
    out.push_back(read_checkpoint(*st));
  }
  return out;
}

Result<std::optional<AuditCheckpoint>> SqliteTx::latest_audit_checkpoint() {
  WARD_ASSIGN_OR_RETURN(auto st, conn_.cached("SELECT seq, entry_hash, time, signature FROM "
                                              "audit_checkpoints ORDER BY seq DESC LIMIT 1"));
  WARD_ASSIGN_OR_RETURN(bool row, st->step());
  if (!row) return std::optional<AuditCheckpoint>();
  return std::optional<AuditCheckpoint>(read_checkpoint(*st));
}

}  // namespace ward::store
