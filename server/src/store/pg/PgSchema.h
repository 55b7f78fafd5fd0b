#pragma once
// The PostgreSQL schema and its forward-only migrations: the same steps and version numbers as the
// SQLite store's (SqliteSchema), so one schema version means the same data on either store.

#include "store/SqliteSchema.h"

namespace parley::server::pg {

class Connection;

inline constexpr int kSchemaVersion = 13;
static_assert(kSchemaVersion == sqlite::kSchemaVersion,
              "the SQLite schema has a new step: add the same step to the PostgreSQL migrations "
              "(store/pg/PgSchema.cpp), a \"SELECT 1\" placeholder if it has no PostgreSQL side");

// The advisory lock key of the store's writers and of migrations ("parley" in ASCII): a write
// transaction takes it (pg_advisory_xact_lock), so writes are serialized across every node.
inline constexpr long long kWriterLockKey = 0x7061726c6579LL;

int schemaVersion(Connection& c);
// Creates or migrates the schema under a session advisory lock, so nodes starting together
// migrate once. Throws when the database's version is newer than this server's.
void migrate(Connection& c);

} // namespace parley::server::pg
