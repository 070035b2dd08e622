#include "controller/store/sqlite_store.hpp"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "controller/store/schema.hpp"
#include "controller/store/sqlite_tx.hpp"

namespace ward::store {
namespace {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<sqlite::Connection> conn) : conn_(std::move(conn)) {}

  Status transaction(const std::function<Status(Tx&)>& fn) override {
    return run(fn, /*read_only=*/false);
  }
  Status read(const std::function<Status(Tx&)>& fn) override { return run(fn, /*read_only=*/true); }

 private:
  Status run(const std::function<Status(Tx&)>& fn, bool read_only) {
    if (owner_.load() == std::this_thread::get_id()) {
      return Error::internal("store transactions do not nest");
    }
    std::lock_guard lock(mu_);
    owner_.store(std::this_thread::get_id());
    Status s = run_locked(fn, read_only);
    owner_.store(std::thread::id());
    return s;
  }

  Status run_locked(const std::function<Status(Tx&)>& fn, bool read_only) {
    if (read_only) {
      WARD_RETURN_IF_ERROR(conn_->exec("PRAGMA query_only = ON"));
      Status s = conn_->exec("BEGIN DEFERRED");
      if (s) s = call(fn);
      if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
      Status off = conn_->exec("PRAGMA query_only = OFF");
      if (!s) return s;
      return off;
    }
    WARD_RETURN_IF_ERROR(conn_->exec("BEGIN IMMEDIATE"));
    Status s = call(fn);
    if (s) {
      s = conn_->exec("COMMIT");
      if (s) return ok();
      s = std::move(s).error().context("committing");
    }
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); ROLLBACK then fails
    // harmlessly.
    if (conn_->in_transaction()) (void)conn_->exec("ROLLBACK");
    return s;
  }

  Status call(const std::function<Status(Tx&)>& fn) {
    SqliteTx tx(*conn_);
    try {
      return fn(tx);
    } catch (const std::exception& e) {
      return Error::internal(std::string("exception in a store transaction: ") + e.what());
    } catch (...) {
      return Error::internal("unknown exception in a store transaction");
    }
  }

  std::mutex mu_;
  std::atomic<std::thread::id> owner_{};
  std::unique_ptr<sqlite::Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options) {
  sqlite::OpenOptions o;
  o.create = options.create;
  o.busy_timeout_ms = options.busy_timeout_ms;
  WARD_ASSIGN_OR_RETURN(auto conn, sqlite::Connection::open(path, o));
  WARD_RETURN_IF_ERROR(migrate(*conn, controller_migrations()));
  return std::unique_ptr<Store>(new SqliteStore(std::move(conn)));
}

Status sqlite_integrity_check(const std::string& path) {
  sqlite::OpenOptions o;
  o.create = false;
  WARD_ASSIGN_OR_RETURN(auto conn, sqlite::Connection::open(path, o));
  WARD_ASSIGN_OR_RETURN(sqlite::Statement st, conn->prepare("PRAGMA integrity_check"));
  WARD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Error::internal("integrity_check returned no row");
  if (std::string first = st.text(0); first != "ok") {
    return Error::corruption("database integrity check failed: " + quote(first, 200));
  }
  WARD_ASSIGN_OR_RETURN(sqlite::Statement fk, conn->prepare("PRAGMA foreign_key_check"));
  WARD_ASSIGN_OR_RETURN(row, fk.step());
  if (row) {
    return Error::corruption("foreign key violation in table " + quote(fk.text(0)));
  }
  return ok();
}

}  // namespace ward::store
