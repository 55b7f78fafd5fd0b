#pragma once
// The SQLite transactions: ReadTx and WriteTx over one connection, a read on a snapshot, and the
// transaction of one write group (each job in its own savepoint).

#include "store/GroupCommitWriter.h"
#include "store/Store.h"

#include <functional>
#include <span>
#include <vector>

namespace parley::server::sqlite {

class Connection;

// Runs job on a snapshot of c (a read transaction); rethrows what the job threw.
void readTransaction(Connection& c, const std::function<void(ReadTx&)>& job);

// Runs the group's jobs in one transaction on c, each inside its own savepoint so that a failing
// job rolls back only itself (its error is set, the others go on), then commits. Returns the
// events of the jobs that succeeded, in job order, once the commit has succeeded; if BEGIN or
// COMMIT fails, every job gets that error, nothing is kept and no event is returned.
std::vector<Event> writeGroupTransaction(Connection& c, std::span<GroupCommitWriter::Job* const> group);

} // namespace parley::server::sqlite
