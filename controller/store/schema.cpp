#include "controller/store/schema.hpp"

#include <string>

namespace ward::store {
namespace {

// Conventions: times are INTEGER Unix milliseconds; booleans INTEGER 0/1 with CHECKs;
// JSON columns are TEXT checked with json_valid; hashes are 32-byte BLOBs.
constexpr const char* kV1 = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(email) BETWEEN 3 AND 254),
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'auditor', 'member')),
  groups TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(groups) AND json_type(groups) = 'array'),
  password_hash TEXT NOT NULL DEFAULT '',
  totp_secret_sealed BLOB,
  totp_last_step INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 63),
  user_id INTEGER REFERENCES users(id) ON DELETE RESTRICT,
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  wg_public_key TEXT NOT NULL UNIQUE,
  overlay_v4 TEXT NOT NULL UNIQUE,
  overlay_v6 TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL
    CHECK (status IN ('pending', 'active', 'quarantined', 'revoked', 'expired')),
  cert_serial TEXT NOT NULL DEFAULT '',
  cert_not_after INTEGER,
  created_at INTEGER NOT NULL,
  last_seen INTEGER,
  posture TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(posture) AND json_type(posture) = 'object'),
  os TEXT NOT NULL DEFAULT '',
  hostname TEXT NOT NULL DEFAULT '',
  endpoints TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(endpoints) AND json_type(endpoints) = 'array'),
  CHECK (user_id IS NOT NULL OR json_array_length(tags) > 0)
) STRICT;
CREATE INDEX devices_user ON devices(user_id);
CREATE INDEX devices_cert_serial ON devices(cert_serial) WHERE cert_serial != '';

-- Every overlay address ever handed out; rows are never deleted, so an address is never
-- given to a second device (stale ACLs or logs naming it stay unambiguous).
CREATE TABLE allocated_addresses (
  address TEXT PRIMARY KEY,
  device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
  allocated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TRIGGER allocated_addresses_no_delete BEFORE DELETE ON allocated_addresses
BEGIN SELECT RAISE(ABORT, 'allocated addresses are never released'); END;

CREATE TABLE enrollment_keys (
  id INTEGER PRIMARY KEY,
  key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  description TEXT NOT NULL DEFAULT '',
  reusable INTEGER NOT NULL CHECK (reusable IN (0, 1)),
  max_uses INTEGER CHECK (max_uses IS NULL OR max_uses >= 1),
  uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
  expires_at INTEGER NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  preapproved INTEGER NOT NULL DEFAULT 0 CHECK (preapproved IN (0, 1)),
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  CHECK (reusable = 1 OR max_uses = 1),
  CHECK (max_uses IS NULL OR uses <= max_uses)
) STRICT;

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  source TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE login_failures (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL CHECK (failures >= 0),
  first_failure_at INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE policies (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  text TEXT NOT NULL,
  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- position: physical append order; seq: the entry's number inside the hash chain.
-- Verification walks by position and checks seq, so reordered rows are detected.
CREATE TABLE audit_entries (
  position INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
  time INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  entry_hash BLOB NOT NULL
) STRICT;
CREATE INDEX audit_entries_action ON audit_entries(action);

CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY,
  entry_hash BLOB NOT NULL,
  time INTEGER NOT NULL,
  signature BLOB NOT NULL
) STRICT;
)sql";

constexpr Migration kMigrations[] = {
    {1, kV1},
};

}  // namespace

std::span<const Migration> controller_migrations() {
  return kMigrations;
}

Result<int> schema_version(sqlite::Connection& conn) {
  WARD_ASSIGN_OR_RETURN(sqlite::Statement st, conn.prepare("PRAGMA user_version"));
  WARD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Error::internal("PRAGMA user_version returned no row");
  return static_cast<int>(st.int64(0));
}

Result<int> migrate(sqlite::Connection& conn, std::span<const Migration> migrations) {
  int newest = migrations.empty() ? 0 : migrations.back().version;
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return Error::internal("migrations are not numbered 1..N");
    }
  }
  WARD_ASSIGN_OR_RETURN(int version, schema_version(conn));
  if (version > newest) {
    return Error::invalid_argument("database schema version " + std::to_string(version) +
                                   " is newer than this binary supports (" +
                                   std::to_string(newest) + ")");
  }
  for (const Migration& m : migrations) {
    if (m.version <= version) continue;
    WARD_RETURN_IF_ERROR(conn.exec("BEGIN IMMEDIATE"));
    // Re-read inside the write lock: another process may have migrated meanwhile.
    Result<int> current = schema_version(conn);
    Status s = current ? ok() : Status(current.error());
    if (s && *current < m.version) {
      s = conn.exec(m.sql);
      if (s) {
        // PRAGMA takes no bound parameters; the value is our own integer.
        std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
        s = conn.exec(bump.c_str());
      }
    }
    if (!s) {
      (void)conn.exec("ROLLBACK");
      return std::move(s).error().context("applying schema migration " + std::to_string(m.version));
    }
    WARD_RETURN_IF_ERROR(conn.exec("COMMIT"));
    version = m.version;
  }
  return version;
}

}  // namespace ward::store
