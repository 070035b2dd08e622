// The SQLite implementation of ward::store::Store.
//
// One SqliteStore owns one connection (WAL, synchronous=FULL, foreign_keys=ON, busy
// timeout) and serialises its transactions with a mutex. Open several SqliteStores on
// one file for several connections (e.g. a reader pool, or tests racing writers).
#pragma once

#include <memory>
#include <string>

#include "common/base/result.hpp"
#include "controller/store/store.hpp"

namespace ward::store {

struct SqliteOptions {
  // Create the database file (mode 0600) if it does not exist. When false, a missing
  // file is an Io error.
  bool create = true;
  // How long a writer waits for another connection's write lock before Unavailable.
  int busy_timeout_ms = 5000;
};

// Opens (creating if allowed) the database at path and brings its schema up to date.
// A file readable or writable by group or others is refused (PermissionDenied).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const SqliteOptions& options = {});

// Runs PRAGMA integrity_check and foreign_key_check; Corruption naming the first problem.
Status sqlite_integrity_check(const std::string& path);

}  // namespace ward::store
