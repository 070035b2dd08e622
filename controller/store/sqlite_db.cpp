#include "controller/store/sqlite_db.hpp"

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

namespace ward::store::sqlite {

Error error_from_sqlite(int rc, std::string_view what, sqlite3* db) {
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error::already_exists(std::move(msg));
      }
      if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found(std::move(msg));
      return Error::invalid_argument(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::unavailable(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::corruption(std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return Error::io(std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Error::invalid_argument(std::move(msg));
    default:
      return Error::internal(std::move(msg));
  }
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Status Statement::bind(int index, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK) return error_from_sqlite(rc, "binding a parameter", db_);
  return ok();
}

Status Statement::bind(int index, std::string_view v) {
  // A null data pointer would bind SQL NULL; an empty string_view means "".
  const char* p = v.data() != nullptr ? v.data() : "";
  int rc = sqlite3_bind_text64(stmt_, index, p, v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) return error_from_sqlite(rc, "binding a parameter", db_);
  return ok();
}

Status Statement::bind(int index, std::span<const std::uint8_t> v) {
  // A zero-length blob with a null pointer would bind NULL; bind an empty blob instead.
  static const std::uint8_t kEmpty = 0;
  const void* p = v.empty() ? &kEmpty : v.data();
  int rc = sqlite3_bind_blob64(stmt_, index, p, v.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) return error_from_sqlite(rc, "binding a parameter", db_);
  return ok();
}

Status Statement::bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) return error_from_sqlite(rc, "binding a parameter", db_);
  return ok();
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from_sqlite(sqlite3_extended_errcode(db_), "executing a statement", db_);
}

Status Statement::run() {
  WARD_ASSIGN_OR_RETURN(bool row, step());
  if (row) {
    // Statements with RETURNING produce rows; callers of run() do not want them, but
    // must still finish the statement so the change completes.
    while (row) {
      WARD_ASSIGN_OR_RETURN(row, step());
    }
  }
  return ok();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::optional<std::int64_t> Statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<Time> Statement::opt_time(int col) const {
  if (is_null(col)) return std::nullopt;
  return time(col);
}

std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

Bytes Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  const auto* b = static_cast<const std::uint8_t*>(p);
  return Bytes(b, b + n);
}

namespace {

// Creates the file with mode 0600 before SQLite sees it, so there is no window in which
// it exists with the process umask's permissions. SQLite gives the -wal and -shm files
// the main file's permissions.
Status precreate(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Error::from_errno("creating database " + quote(path, 256), errno);
  struct stat st {};
  int rc = ::fstat(fd, &st);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Error::from_errno("stat on database " + quote(path, 256), err);
  if (!S_ISREG(st.st_mode)) {
    return Error::invalid_argument("database " + quote(path, 256) + " is not a regular file");
  }
  return ok();
}

Status check_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return Error::from_errno("stat on database " + quote(path, 256), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return Error::invalid_argument("database " + quote(path, 256) + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return Error::permission_denied("database " + quote(path, 256) +
                                    " is accessible by group or others; expected mode 0600");
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const OpenOptions& options) {
  if (options.create) WARD_RETURN_IF_ERROR(precreate(path));
  WARD_RETURN_IF_ERROR(check_mode(path));
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(db));  // closes db even on failure
  if (rc != SQLITE_OK) {
    return error_from_sqlite(rc, "opening database " + quote(path, 256), db);
  }
  sqlite3_extended_result_codes(db, 1);
  rc = sqlite3_busy_timeout(db, options.busy_timeout_ms);
  if (rc != SQLITE_OK) return error_from_sqlite(rc, "setting busy timeout", db);
  // WAL: readers never block the writer and a crash mid-transaction leaves the
  // committed prefix intact. synchronous=FULL: in WAL mode NORMAL only syncs at
  // checkpoints, so a power loss can drop the last acknowledged commits; the controller
  // acknowledges enrollments, revocations and audit entries to clients, so a commit
  // that returned must survive power loss. Our write rate is low; the fsync is cheap.
  WARD_RETURN_IF_ERROR(conn->exec("PRAGMA journal_mode=WAL"));
  WARD_RETURN_IF_ERROR(conn->exec("PRAGMA synchronous=FULL"));
  WARD_RETURN_IF_ERROR(conn->exec("PRAGMA foreign_keys=ON"));
  // Secure deletion: overwritten rows (revoked sessions, old hashes) are zeroed on disk.
  WARD_RETURN_IF_ERROR(conn->exec("PRAGMA secure_delete=ON"));
  // journal_mode is persistent but reports the mode in use; make sure WAL took effect.
  WARD_ASSIGN_OR_RETURN(Statement st, conn->prepare("PRAGMA journal_mode"));
  WARD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row || st.text(0) != "wal") {
    return Error::io("database " + quote(path, 256) + " could not switch to WAL mode");
  }
  return conn;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) {
    return error_from_sqlite(sqlite3_extended_errcode(db_), "executing SQL", db_);
  }
  return ok();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    if (stmt != nullptr) sqlite3_finalize(stmt);
    return error_from_sqlite(rc, "preparing a statement", db_);
  }
  if (stmt == nullptr) return Error::internal("preparing a statement: empty SQL");
  return Statement(db_, stmt);
}

Result<Connection::Cached> Connection::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    WARD_ASSIGN_OR_RETURN(Statement st, prepare(sql));
    it = cache_.emplace(sql, std::make_unique<Statement>(std::move(st))).first;
  }
  return Cached(it->second.get());
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}
std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}
bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

}  // namespace ward::store::sqlite
