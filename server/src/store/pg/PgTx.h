#pragma once
// ReadTx / WriteTx over one PostgreSQL connection: the SQLite store's queries (SqliteTx) in
// PostgreSQL's dialect, returning the same values. The caller (PgStore) owns the transaction.

#include "store/Store.h"

#include <functional>
#include <string>
#include <vector>

namespace parley::server::pg {

class Connection;

// Runs job on a ReadTx over c, inside the transaction the caller began.
void runRead(Connection& c, const std::function<void(ReadTx&)>& job);
// Runs job on a WriteTx over c, inside the transaction the caller began; returns the events the
// job asked to publish after commit.
std::vector<Event> runWrite(Connection& c, const std::function<void(WriteTx&)>& job);

// The PostgreSQL form of an FTS5 query built by InsightService::ftsQuery ("word" "word" ...):
// the words, unquoted, separated by spaces (for plainto_tsquery, which ANDs them as FTS5 does).
std::string searchWords(const std::string& ftsQuery);

} // namespace parley::server::pg
