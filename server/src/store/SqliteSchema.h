#pragma once
// The SQLite store's schema: the forward-only migrations and the version they lead to.

namespace parley::server::sqlite {

class Connection;

// The schema version this build creates and understands (PRAGMA user_version).
inline constexpr int kSchemaVersion = 13;

// Takes the database forward to kSchemaVersion, one transaction per step. Throws when the
// database is newer than this build or a step fails (that step is rolled back).
void migrate(Connection& c);
int schemaVersion(Connection& c);

} // namespace parley::server::sqlite
