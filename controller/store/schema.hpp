// Schema versions and their migrations.
//
// The database's schema version lives in PRAGMA user_version. Each migration moves it
// from version-1 to version and runs, together with the version bump, in one
// BEGIN IMMEDIATE transaction: a failing migration leaves the database at the previous
// version with none of its statements applied. A database whose version is newer than
// the newest migration this binary knows is refused (downgrades are not supported).
#pragma once

#include <span>

#include "common/base/result.hpp"
#include "controller/store/sqlite_db.hpp"

namespace ward::store {

struct Migration {
  int version;      // 1, 2, ...; contiguous
  const char* sql;  // schema statements only, no values
};

// The controller's migrations, oldest first.
std::span<const Migration> controller_migrations();

// Applies every migration newer than the database's version. Returns the final version.
Result<int> migrate(sqlite::Connection& conn, std::span<const Migration> migrations);

// The database's current PRAGMA user_version.
Result<int> schema_version(sqlite::Connection& conn);

}  // namespace ward::store
