// RAII wrappers over the SQLite3 C API: a Connection owns a sqlite3*, a Statement owns
// a sqlite3_stmt*. Values reach SQL only through bound parameters.
//
// Neither type is thread-safe; the owner serialises use (SqliteStore holds a mutex).
// A Statement must not outlive the Connection it was prepared on.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/base/result.hpp"
#include "controller/store/types.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ward::store::sqlite {

// Maps an SQLite result code (extended codes included) to a Ward error. The message is
// "<what>: <sqlite message>"; SQLite messages name columns, never bound values.
Error error_from_sqlite(int rc, std::string_view what, sqlite3* db);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  ~Statement();

  // Binds parameters 1..N in order. Supported: integers, bool, Time, std::string(_view),
  // const char*, Bytes / span<const uint8_t> (as BLOB), std::nullopt, std::optional<T>.
  template <class... Args>
  Status bind_all(const Args&... args) {
    int i = 0;
    Status s = ok();
    ((s ? (s = bind(++i, args), 0) : 0), ...);
    return s;
  }

  Status bind(int index, std::int64_t v);
  Status bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Status bind(int index, bool v) { return bind(index, static_cast<std::int64_t>(v ? 1 : 0)); }
  Status bind(int index, Time v) { return bind(index, time_to_ms(v)); }
  Status bind(int index, std::string_view v);
  Status bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  Status bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Status bind(int index, std::span<const std::uint8_t> v);
  Status bind(int index, const Bytes& v) { return bind(index, std::span<const std::uint8_t>(v)); }
  Status bind(int index, std::nullopt_t);
  template <class T>
  Status bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind(index, std::nullopt);
  }

  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion, expecting no rows.
  Status run();
  // Resets for reuse and clears bindings (wiping nothing: bind no secrets in clear).
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  bool boolean(int col) const { return int64(col) != 0; }
  Time time(int col) const { return time_from_ms(int64(col)); }
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<Time> opt_time(int col) const;
  std::string text(int col) const;
  Bytes blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Flags for Connection::open.
struct OpenOptions {
  bool create = true;  // create the file (mode 0600) if it does not exist
  int busy_timeout_ms = 5000;
};

class Connection {
 public:
  // Opens (and, if options.create, first creates with mode 0600 and O_NOFOLLOW) the
  // database at path, then sets journal_mode=WAL, synchronous=FULL, foreign_keys=ON and
  // busy_timeout. Refuses a database file readable or writable by group or others.
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const OpenOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL text with no parameters (schema, pragmas, BEGIN/COMMIT). Never pass values.
  Status exec(const char* sql);
  // A fresh prepared statement (for one-off use).
  Result<Statement> prepare(std::string_view sql);

  // A statement from this connection's cache, reset when the guard goes out of scope.
  // sql must be a string with static storage (a literal); the same SQL must not be
  // used twice at once.
  class Cached {
   public:
    explicit Cached(Statement* s) : s_(s) {}
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    Cached(Cached&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    ~Cached() {
      if (s_ != nullptr) s_->reset();
    }
    Statement* operator->() { return s_; }
    Statement& operator*() { return *s_; }

   private:
    Statement* s_;
  };
  Result<Cached> cached(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  bool in_transaction() const;
  sqlite3* raw() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

}  // namespace ward::store::sqlite
