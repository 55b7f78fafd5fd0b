#pragma once
// The invariants of the stored chat state that every store must keep under any concurrency, as
// SQL that SQLite and PostgreSQL both run: one list of checks for the single-node stress suites
// (SqliteReadOnly) and the cluster suites (PgReadOnly). Each query returns the rows that break it.

#include "DbRows.h"

#include <algorithm>
#include <string>
#include <vector>

namespace parley::test::invariants {

struct Check {
    const char* what; // the failure message
    std::string sql;  // rows that break it
};

// SQL string literal (the texts checked here have no quote, but be exact).
inline std::string quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// Stored now: no agent holds more open conversations than its maximum.
inline Check agentsAboveMaximum() {
    return {"agents above their maximum",
            "SELECT a.id, a.username, a.max_active_chats, COUNT(c.id) FROM agents a "
            "LEFT JOIN conversations c ON c.assigned_agent_id = a.id AND c.status = 'agent' "
            "GROUP BY a.id, a.username, a.max_active_chats HAVING COUNT(c.id) > a.max_active_chats"};
}

// seq is 1..n without gaps in every conversation that has messages, and last_seq agrees.
inline Check seqGaps() {
    return {"seq gaps", "SELECT c.id, COUNT(m.id), MIN(m.seq), MAX(m.seq), c.last_seq FROM conversations c "
                        "JOIN messages m ON m.conversation_id = c.id GROUP BY c.id, c.last_seq "
                        "HAVING COUNT(m.id) <> MAX(m.seq) OR MIN(m.seq) <> 1 OR MAX(m.seq) <> c.last_seq"};
}

// The busy message at most once per conversation, and only as a system event.
inline Check duplicateBusyMessages(const std::string& busyText) {
    return {"more than one busy message (or one not a system event)",
            "SELECT conversation_id, COUNT(*) FROM messages WHERE content = " + quoted(busyText) +
                " GROUP BY conversation_id HAVING COUNT(*) > 1 OR MIN(sender_type) <> 'system' "
                "OR MIN(kind) <> 'event'"};
}

// client_msg_id is an idempotency key per sender: one message per key and sender in a conversation.
inline Check duplicateClientMsgIds() {
    return {"a client_msg_id stored twice for one sender",
            "SELECT conversation_id, sender_type, sender_agent_id, client_msg_id, COUNT(*) FROM messages "
            "WHERE client_msg_id IS NOT NULL GROUP BY conversation_id, sender_type, sender_agent_id, "
            "client_msg_id HAVING COUNT(*) > 1"};
}

// The lifecycle columns agree with the status.
inline Check lifecycleColumns() {
    return {
        "lifecycle columns disagree with the status",
        "SELECT id, status, assigned_agent_id, requested_agent_at, closed_at FROM conversations WHERE "
        "(status = 'automated' AND (assigned_agent_id IS NOT NULL OR requested_agent_at IS NOT NULL OR "
        "closed_at IS NOT NULL)) OR (status = 'agent' AND (requested_agent_at IS NULL OR closed_at IS NOT "
        "NULL)) OR (status = 'closed' AND closed_at IS NULL)"};
}

// A shopper's session has at most one conversation that is not closed.
inline Check twoOpenConversationsPerSession() {
    return {"two open conversations for one session",
            "SELECT customer_session_id, COUNT(*) FROM conversations WHERE status <> 'closed' "
            "GROUP BY customer_session_id HAVING COUNT(*) > 1"};
}

// For runs where nothing puts a conversation back in the queue: every waiting conversation got
// the busy message exactly once.
inline Check waitingWithoutOneBusyMessage(const std::string& busyText) {
    return {"waiting without exactly one busy message",
            "SELECT c.id FROM conversations c WHERE c.status = 'agent' AND c.assigned_agent_id IS NULL AND "
            "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.content = " +
                quoted(busyText) + ") <> 1"};
}

// Every check that holds after any run, whatever happened in it.
inline std::vector<Check> always(const std::string& busyText) {
    return {agentsAboveMaximum(),    seqGaps(),          duplicateBusyMessages(busyText),
            duplicateClientMsgIds(), lifecycleColumns(), twoOpenConversationsPerSession()};
}

// For runs where nothing unassigns a conversation (no transfer, no lost agent): one "assigned"
// event at most per conversation, so none was ever handed to two agents.
inline Check assignedTwice() {
    return {"a conversation assigned more than once",
            "SELECT conversation_id, COUNT(*) FROM messages WHERE kind = 'event' AND sender_type = 'system' "
            "AND metadata LIKE '%\"event\":\"assigned\"%' GROUP BY conversation_id HAVING COUNT(*) > 1"};
}

// Runs the checks on db (anything with rows(sql) and lastError()); "" when all hold, else what
// broke with the offending rows (at most a few per check).
template <class Db>
std::string violations(Db& db, const std::vector<Check>& checks) {
    std::string out;
    for (const auto& check : checks) {
        const auto rows = db.rows(check.sql);
        if (!db.lastError().empty())
            return out + "\nquery failed: " + db.lastError();
        if (rows.empty())
            continue;
        out += "\n" + std::string(check.what) + " (" + std::to_string(rows.size()) + " rows):";
        out += describeRows({rows.begin(), rows.begin() + std::min<std::ptrdiff_t>(std::ssize(rows), 10)});
    }
    return out;
}

} // namespace parley::test::invariants
