#include "store/SqliteTx.h"

#include "store/SqliteDb.h"
#include "store/SqliteWalVfs.h"
#include "store/StoredRows.h"
#include "util/Log.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <iterator>
#include <unordered_map>
#include <utility>

namespace parley::server::sqlite {

using protocol::Conversation;
using protocol::FaqEntry;
using protocol::Message;

namespace {

using stored::agentFrom;
using stored::conversationFrom;
using stored::faqFrom;
using stored::kAgentSelect;
using stored::kConversationColumns;
using stored::kFaqSelect;
using stored::kMessageColumns;
using stored::messageFrom;
using stored::pageContextFromJson;
using stored::pageContextJson;

// The queue is read through its own partial index, which holds exactly the waiting conversations
// in queue order. Without statistics SQLite preferred conversations_by_agent (assigned_agent_id
// IS NULL) and sorted the queue in a temporary b-tree on every read.
constexpr const char* kQueueWhere = "status = 'agent' AND assigned_agent_id IS NULL";

// --- Reports and data rights (issue 22) ---------------------------------------------------------
// The rating score of the conversation aliased `c` (a rating counts on the day its conversation
// closed).
constexpr const char* kRatingScoreOfC = "c.rating_score";
// What else an erase empties on the shopper's conversations: page context, contact, comment.
constexpr const char* kEraseConversationColumns =
    ", context = '{}', contact_email = NULL, contact_name = NULL, rating_comment = NULL";
// Milliseconds from timestamp a to timestamp b (RFC 3339 text), rounded: percentiles are taken over
// integers, so they are exact values of the data.
std::string msBetween(const char* a, const char* b) {
    return std::string("CAST(ROUND((julianday(") + b + ") - julianday(" + a + ")) * 86400000.0) AS INTEGER)";
}
// The report's days, bound as one JSON text [[startUtc, endUtc], ...]: one statement text for any range.
constexpr const char* kReportDaysCte =
    "WITH days(i, lo, hi) AS (SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]') FROM json_each(?1)) ";

class SqliteReadTx : public virtual ReadTx {
public:
    explicit SqliteReadTx(Connection& c)
        : m_c(c) {}

    std::optional<Conversation> conversation(const std::string& id) override {
        static const std::string sql =
            std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE id = ?";
        auto s = m_c.prepare(sql);
        s.bind(1, id);
        if (!s.step())
            return std::nullopt;
        auto c = conversationFrom(s);
        fillQueuePosition(c);
        return c;
    }

    std::optional<Conversation> openConversationOfSession(const std::string& sessionId) override {
        static const std::string sql =
            std::string("SELECT ") + kConversationColumns +
            " FROM conversations WHERE customer_session_id = ? AND status <> 'closed'";
        auto s = m_c.prepare(sql);
        s.bind(1, sessionId);
        if (!s.step())
            return std::nullopt;
        auto c = conversationFrom(s);
        fillQueuePosition(c);
        return c;
    }

    std::vector<Message> messages(const std::string& conversationId, std::int64_t afterSeq,
                                  int limit) override {
        static const std::string sql =
            std::string("SELECT ") + kMessageColumns +
            " FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?";
        auto s = m_c.prepare(sql);
        s.bind(1, conversationId)
            .bind(2, afterSeq)
            .bind(3, limit > 0 ? std::int64_t(limit) : std::int64_t(-1));
        std::vector<Message> out;
        while (s.step())
            out.push_back(messageFrom(s));
        return out;
    }

    std::optional<Message> messageByClientId(const std::string& conversationId, protocol::SenderType sender,
                                             const std::string& senderAgentId,
                                             const std::string& clientMsgId) override {
        // The same expressions as the unique index messages_client_msg_id, so that it is used. No
        // term may depend on a bound value for the plan: SQLite re-prepares such a statement each
        // time it is bound. So "client_msg_id IS NOT NULL" states the partial index's condition,
        // and the sender type, which partial messages_first_agent tests, is a literal (one cached
        // statement per sender type; the enum's names, never input).
        static const auto kBySender = [] {
            using protocol::SenderType;
            std::array<std::string, 4> sql;
            for (auto type : {SenderType::Customer, SenderType::Bot, SenderType::Agent, SenderType::System})
                sql.at(static_cast<std::size_t>(type)) =
                    std::string("SELECT ") + kMessageColumns +
                    " FROM messages WHERE conversation_id = ? AND sender_type = '" +
                    std::string(protocol::toString(type)) +
                    "' AND IFNULL(sender_agent_id, '') = ? AND client_msg_id = ? AND client_msg_id IS NOT "
                    "NULL";
            return sql;
        }();
        auto s = m_c.prepare(kBySender.at(static_cast<std::size_t>(sender)));
        s.bind(1, conversationId).bind(2, senderAgentId).bind(3, clientMsgId);
        if (!s.step())
            return std::nullopt;
        return messageFrom(s);
    }

    std::int64_t lastSeq(const std::string& conversationId) override {
        auto s = m_c.prepare("SELECT last_seq FROM conversations WHERE id = ?");
        s.bind(1, conversationId);
        return s.step() ? s.int64(0) : 0;
    }

    std::vector<Conversation> queue() override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations INDEXED BY conversations_queue WHERE " +
                                       kQueueWhere + " ORDER BY requested_agent_at, queue_ticket";
        auto s = m_c.prepare(sql);
        std::vector<Conversation> out;
        while (s.step()) {
            out.push_back(conversationFrom(s));
            out.back().queuePosition = static_cast<int>(out.size());
        }
        return out;
    }

    std::vector<Conversation> conversationsAssignedTo(const std::string& agentId) override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations WHERE status = 'agent' AND assigned_agent_id = ?"
                                       " ORDER BY updated_at DESC, id";
        auto s = m_c.prepare(sql);
        s.bind(1, agentId);
        std::vector<Conversation> out;
        while (s.step())
            out.push_back(conversationFrom(s));
        return out;
    }

    std::vector<FaqEntry> faq(bool activeOnly) override {
        auto s = m_c.prepare(std::string(kFaqSelect) + (activeOnly ? "WHERE is_active = 1 " : "") +
                             "ORDER BY display_order, slug");
        std::vector<FaqEntry> out;
        while (s.step())
            out.push_back(faqFrom(s));
        return out;
    }

    std::optional<FaqEntry> faqEntry(const std::string& slug) override {
        auto s = m_c.prepare(std::string(kFaqSelect) + "WHERE slug = ?");
        s.bind(1, slug);
        if (!s.step())
            return std::nullopt;
        return faqFrom(s);
    }

    std::optional<std::string> setting(const std::string& key) override {
        auto s = m_c.prepare("SELECT value FROM settings WHERE key = ?");
        s.bind(1, key);
        if (!s.step())
            return std::nullopt;
        return s.text(0);
    }

    std::optional<AgentRecord> agentById(const std::string& id) override {
        static const std::string sql = std::string(kAgentSelect) + "WHERE a.id = ?";
        auto s = m_c.prepare(sql);
        s.bind(1, id);
        if (!s.step())
            return std::nullopt;
        return agentFrom(s);
    }

    std::optional<protocol::Role> agentSessionRole(const std::string& sessionId,
                                                   const std::string& agentId) override {
        auto s = m_c.prepare("SELECT a.role FROM agent_sessions s JOIN agents a ON a.id = s.agent_id "
                             "WHERE s.id = ? AND s.agent_id = ?");
        s.bind(1, sessionId).bind(2, agentId);
        if (!s.step())
            return std::nullopt;
        return protocol::parseRole(s.text(0)).value_or(protocol::Role::Agent);
    }

    std::optional<AgentRecord> agentByUsername(const std::string& username) override {
        static const std::string sql = std::string(kAgentSelect) + "WHERE a.username = ?";
        auto s = m_c.prepare(sql);
        s.bind(1, username);
        if (!s.step())
            return std::nullopt;
        return agentFrom(s);
    }

    std::vector<AgentRecord> agents() override {
        static const std::string sql = std::string(kAgentSelect) + "ORDER BY a.username";
        auto s = m_c.prepare(sql);
        std::vector<AgentRecord> out;
        while (s.step())
            out.push_back(agentFrom(s));
        return out;
    }

    std::vector<std::string> onlineAgentIds() override {
        auto s = m_c.prepare("SELECT id FROM agents WHERE presence = 'online' ORDER BY username");
        std::vector<std::string> out;
        while (s.step())
            out.push_back(s.text(0));
        return out;
    }

    // --- shoppers after hours and after the chat (issue 21) ---------------------------------
    std::vector<std::string> idleConversationIds(const std::string& cutoff, int limit) override {
        // The newest customer-or-agent message of each assigned open chat, through the
        // (conversation_id, seq) key; idle when it is the agent's and old enough.
        auto s = m_c.prepare(
            "SELECT c.id FROM conversations c "
            "JOIN messages m ON m.conversation_id = c.id AND m.seq = (SELECT MAX(x.seq) FROM messages x "
            "WHERE x.conversation_id = c.id AND x.sender_type IN ('customer', 'agent', 'system')) "
            "WHERE c.status = 'agent' AND c.assigned_agent_id IS NOT NULL AND m.sender_type = 'agent' "
            "AND m.sender_agent_id = c.assigned_agent_id "
            "AND m.created_at <= ? ORDER BY m.created_at LIMIT ?");
        s.bind(1, cutoff).bind(2, std::int64_t(limit));
        std::vector<std::string> out;
        while (s.step())
            out.push_back(s.text(0));
        return out;
    }

protected:
    // --- Reports and data rights (issue 22) ---
    ReportFigures reportFigures(const std::vector<ReportDayWindow>& days, bool withAgents) override {
        if (days.empty())
            return {};
        stored::ReportBuilder report(days, withAgents);
        {
            // INDEXED BY: without statistics SQLite took the requested_agent_at index for "IS NULL"
            // and walked every bot-only conversation once per day (seconds for 90 days).
            static const std::string sql =
                std::string(kReportDaysCte) +
                "SELECT d.i, "
                "(SELECT COUNT(*) FROM conversations c WHERE c.created_at >= d.lo AND c.created_at < d.hi), "
                "(SELECT COUNT(*) FROM conversations c INDEXED BY conversations_created WHERE c.created_at "
                ">= "
                "d.lo AND c.created_at < d.hi AND c.requested_agent_at IS NULL), "
                "(SELECT COUNT(*) FROM conversations c WHERE c.requested_agent_at >= d.lo AND "
                "c.requested_agent_at < d.hi), "
                "(SELECT COUNT(*) FROM conversations c WHERE c.closed_at >= d.lo AND c.closed_at < d.hi), "
                "(SELECT CAST(ROUND(AVG(" +
                kRatingScoreOfC +
                ") * 1000) AS INTEGER) FROM conversations c WHERE c.closed_at >= d.lo AND c.closed_at < "
                "d.hi), "
                "(SELECT COUNT(" +
                kRatingScoreOfC +
                ") FROM conversations c WHERE c.closed_at >= d.lo AND c.closed_at < d.hi) "
                "FROM days d";
            auto s = m_c.prepare(sql);
            s.bind(1, report.windows());
            while (s.step())
                report.addDayCounts(s);
        }
        {
            // Each handoff's first agent reply, as its conversation records it (schema step 13).
            static const std::string sql =
                std::string(kReportDaysCte) + "SELECT d.i, " +
                msBetween("c.requested_agent_at", "c.first_agent_reply_at") +
                " AS v, IFNULL(c.first_agent_reply_by, '') FROM days d JOIN conversations c ON "
                "c.requested_agent_at >= d.lo AND c.requested_agent_at < d.hi WHERE c.first_agent_reply_at "
                "IS NOT NULL ORDER BY d.i, v";
            auto s = m_c.prepare(sql);
            s.bind(1, report.windows());
            while (s.step())
                report.addFirstResponse(s);
        }
        {
            static const std::string sql =
                std::string(kReportDaysCte) + "SELECT d.i, " +
                msBetween("c.requested_agent_at", "c.closed_at") +
                " AS v FROM days d JOIN conversations c ON c.closed_at >= d.lo AND c.closed_at < d.hi "
                "WHERE c.requested_agent_at IS NOT NULL ORDER BY d.i, v";
            auto s = m_c.prepare(sql);
            s.bind(1, report.windows());
            while (s.step())
                report.addResolution(s);
        }
        if (withAgents) {
            static const std::string sql =
                std::string(
                    "SELECT a.id, a.display_name, IFNULL(cl.closed, 0), CAST(ROUND(cl.rating * 1000) AS "
                    "INTEGER) FROM agents a LEFT JOIN (SELECT c.assigned_agent_id AS agent, COUNT(*) AS "
                    "closed, AVG(") +
                kRatingScoreOfC +
                ") AS rating FROM conversations c WHERE c.closed_at >= ?1 AND c.closed_at < ?2 AND "
                "c.assigned_agent_id IS NOT NULL GROUP BY c.assigned_agent_id) cl ON cl.agent = a.id "
                "ORDER BY a.display_name, a.id";
            auto s = m_c.prepare(sql);
            s.bind(1, days.front().startUtc).bind(2, days.back().endUtc);
            while (s.step())
                report.addAgent(s);
        }
        return report.finish();
    }

    std::vector<std::string> erasedCustomerSessions() override {
        auto s = m_c.prepare("SELECT session_id FROM erased_customer_sessions");
        std::vector<std::string> out;
        while (s.step())
            out.push_back(s.text(0));
        return out;
    }

    std::vector<AuditEntry> auditLog(int limit) override {
        auto s =
            m_c.prepare("SELECT l.id, l.at, l.actor_agent_id, IFNULL(a.username, ''), l.action, l.subject "
                        "FROM admin_audit_log l LEFT JOIN agents a ON a.id = l.actor_agent_id "
                        "ORDER BY l.id DESC LIMIT ?");
        s.bind(1, std::int64_t(limit));
        std::vector<AuditEntry> out;
        while (s.step())
            out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
        return out;
    }

    // --- Reply mail (issue 21, mail21) --------------------------------------------------------------
    std::optional<ReplyMailWatch> replyMailWatch(const std::string& conversationId) override {
        auto s = m_c.prepare("SELECT conversation_id, pending_since, mailed_seq, last_mail_at "
                             "FROM reply_mail_watch WHERE conversation_id = ?");
        s.bind(1, conversationId);
        if (!s.step())
            return std::nullopt;
        return ReplyMailWatch{s.text(0), s.optText(1), s.int64(2), s.optText(3)};
    }

    std::vector<ReplyMailWatch> dueReplyMailWatches(const std::string& cutoff, int limit) override {
        auto s = m_c.prepare("SELECT conversation_id, pending_since, mailed_seq, last_mail_at "
                             "FROM reply_mail_watch WHERE pending_since IS NOT NULL AND pending_since <= ? "
                             "ORDER BY pending_since LIMIT ?");
        s.bind(1, cutoff).bind(2, std::int64_t(limit));
        std::vector<ReplyMailWatch> out;
        while (s.step())
            out.push_back({s.text(0), s.optText(1), s.int64(2), s.optText(3)});
        return out;
    }

    static constexpr const char* kOutboxColumns =
        "id, conversation_id, recipient, subject, body, last_seq, created_at, attempts, next_attempt_at, "
        "last_error, failed_at";
    static OutboxMail outboxMailFrom(Statement& s) {
        return OutboxMail{s.int64(0),   s.text(1),    s.text(2),    s.text(3),
                          s.text(4),    s.int64(5),   s.text(6),    static_cast<int>(s.int64(7)),
                          s.optText(8), s.optText(9), s.optText(10)};
    }

    std::vector<OutboxMail> dueOutboxMails(const std::string& now, int limit) override {
        static const std::string sql = std::string("SELECT ") + kOutboxColumns +
                                       " FROM mail_outbox WHERE next_attempt_at IS NOT NULL AND "
                                       "next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?";
        auto s = m_c.prepare(sql);
        s.bind(1, now).bind(2, std::int64_t(limit));
        std::vector<OutboxMail> out;
        while (s.step())
            out.push_back(outboxMailFrom(s));
        return out;
    }

    std::optional<std::string> nextOutboxAttemptAt() override {
        auto s =
            m_c.prepare("SELECT MIN(next_attempt_at) FROM mail_outbox WHERE next_attempt_at IS NOT NULL");
        return s.step() ? s.optText(0) : std::nullopt;
    }

    std::vector<OutboxMail> outboxMailsOf(const std::string& conversationId) override {
        static const std::string sql = std::string("SELECT ") + kOutboxColumns +
                                       " FROM mail_outbox WHERE conversation_id = ? ORDER BY id";
        auto s = m_c.prepare(sql);
        s.bind(1, conversationId);
        std::vector<OutboxMail> out;
        while (s.step())
            out.push_back(outboxMailFrom(s));
        return out;
    }

protected:
    // --- agents at work (issue 19): internal notes and canned replies ---
    std::vector<protocol::Note> notes(const std::string& conversationId) override {
        auto s = m_c.prepare("SELECT id, conversation_id, agent_id, agent_display_name, content, created_at "
                             "FROM notes WHERE conversation_id = ? ORDER BY created_at, rowid");
        s.bind(1, conversationId);
        std::vector<protocol::Note> out;
        while (s.step())
            out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)});
        return out;
    }

    std::vector<protocol::CannedReply> cannedReplies() override {
        auto s = m_c.prepare("SELECT id, shortcut, title, content FROM canned_replies ORDER BY shortcut");
        std::vector<protocol::CannedReply> out;
        while (s.step())
            out.push_back({s.text(0), s.text(1), s.text(2), s.text(3)});
        return out;
    }

    std::optional<protocol::CannedReply> cannedReply(const std::string& id) override {
        auto s = m_c.prepare("SELECT id, shortcut, title, content FROM canned_replies WHERE id = ?");
        s.bind(1, id);
        if (!s.step())
            return std::nullopt;
        return protocol::CannedReply{s.text(0), s.text(1), s.text(2), s.text(3)};
    }

    std::optional<protocol::CannedReply> cannedReplyByShortcut(const std::string& shortcut) override {
        auto s = m_c.prepare("SELECT id, shortcut, title, content FROM canned_replies WHERE shortcut = ?");
        s.bind(1, shortcut);
        if (!s.step())
            return std::nullopt;
        return protocol::CannedReply{s.text(0), s.text(1), s.text(2), s.text(3)};
    }

protected:
    // --- Agents at work B: past chats and search ---------------------------------------------
    std::vector<Conversation> conversationsOfSession(const std::string& sessionId) override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations WHERE customer_session_id = ?"
                                       " ORDER BY created_at DESC, rowid DESC";
        auto s = m_c.prepare(sql);
        s.bind(1, sessionId);
        std::vector<Conversation> out;
        while (s.step())
            out.push_back(conversationFrom(s));
        for (auto& c : out)
            fillQueuePosition(c);
        return out;
    }

    std::vector<MessageHit> searchMessages(const std::string& ftsQuery, int limit) override {
        // The index's rank is bm25 (lower is better); equal ranks show the newer message first.
        static const std::string sql =
            "SELECT m.id, m.conversation_id, m.seq, m.sender_type, m.sender_agent_id, m.kind, m.content, "
            "m.metadata, m.client_msg_id, m.created_at FROM message_search s "
            "JOIN messages m ON m.rowid = s.rowid WHERE message_search MATCH ? "
            "ORDER BY s.rank, m.created_at DESC LIMIT ?";
        auto s = m_c.prepare(sql);
        s.bind(1, ftsQuery).bind(2, std::int64_t(limit));
        std::vector<MessageHit> out;
        while (s.step())
            out.push_back(MessageHit{{}, messageFrom(s)});
        for (auto& hit : out)
            if (auto c = conversation(hit.message.conversationId))
                hit.conversation = std::move(*c);
        return out;
    }

protected:
    void fillQueuePosition(Conversation& c) {
        if (!c.isQueued())
            return;
        auto s = m_c.prepare(
            "SELECT COUNT(*) FROM conversations me, conversations o INDEXED BY conversations_queue "
            "WHERE me.id = ? AND o.status = 'agent' AND o.assigned_agent_id IS NULL AND "
            "o.requested_agent_at <= me.requested_agent_at AND (o.requested_agent_at < me.requested_agent_at "
            "OR o.queue_ticket < me.queue_ticket)");
        s.bind(1, c.id);
        c.queuePosition = s.step() ? static_cast<int>(s.int64(0)) + 1 : 1;
    }

    Connection& m_c;
};

class SqliteWriteTx final : public WriteTx, public SqliteReadTx {
public:
    explicit SqliteWriteTx(Connection& c)
        : SqliteReadTx(c) {}

    void insertConversation(const Conversation& c) override {
        auto s = m_c.prepare("INSERT INTO conversations (id, customer_session_id, status, assigned_agent_id, "
                             "requested_agent_at, closed_at, created_at, updated_at, context) VALUES (?, ?, "
                             "?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, c.id)
            .bind(2, c.customerSessionId)
            .bind(3, protocol::toString(c.status))
            .bind(4, c.assignedAgentId);
        s.bind(5, c.requestedAgentAt).bind(6, c.closedAt).bind(7, c.createdAt).bind(8, c.updatedAt);
        s.bind(9, pageContextJson(c.context));
        s.run();
    }

    void updateConversation(const Conversation& c) override {
        // A conversation takes a queue ticket the first time it asks for an agent; it keeps it, so a
        // conversation that comes back to the queue keeps its place by age.
        auto s = m_c.prepare(
            "UPDATE conversations SET status = ?1, assigned_agent_id = ?2, requested_agent_at = ?3, "
            "closed_at = ?4, "
            "updated_at = ?5, queue_ticket = CASE WHEN ?3 IS NOT NULL AND queue_ticket IS NULL THEN "
            "(SELECT COALESCE(MAX(queue_ticket), 0) + 1 FROM conversations) ELSE queue_ticket END WHERE id = "
            "?6");
        s.bind(1, protocol::toString(c.status)).bind(2, c.assignedAgentId).bind(3, c.requestedAgentAt);
        s.bind(4, c.closedAt).bind(5, c.updatedAt).bind(6, c.id);
        s.run();
    }

    void appendMessage(Message& m) override {
        // No RETURNING here: SQLite buffers RETURNING rows in an ephemeral table, whose pager it
        // opens and frees per statement; on the writer's hot path that churned the heap (glibc
        // trimmed it with madvise, a TLB shootdown on every core, then page faults) for half of
        // the writer's time. A second, cached statement reads the new value instead.
        {
            // An agent's message is the conversation's first agent reply if none is recorded yet
            // (the reports' first response; schema step 13). SET reads the row as it was.
            auto s =
                m.senderType == protocol::SenderType::Agent
                    ? m_c.prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ?1, "
                                  "first_agent_reply_at = IFNULL(first_agent_reply_at, ?1), "
                                  "first_agent_reply_by = CASE WHEN first_agent_reply_at IS NULL THEN ?3 "
                                  "ELSE first_agent_reply_by END WHERE id = ?2")
                    : m_c.prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? "
                                  "WHERE id = ?");
            s.bind(1, m.createdAt).bind(2, m.conversationId);
            if (m.senderType == protocol::SenderType::Agent)
                s.bind(3, m.senderAgentId);
            s.run();
            if (m_c.changes() == 0)
                throw sqlite::SqliteError(SQLITE_NOTFOUND,
                                          "appendMessage: no conversation " + m.conversationId);
        }
        {
            auto s = m_c.prepare("SELECT last_seq FROM conversations WHERE id = ?");
            s.bind(1, m.conversationId);
            if (!s.step())
                throw sqlite::SqliteError(SQLITE_NOTFOUND,
                                          "appendMessage: no conversation " + m.conversationId);
            m.seq = s.int64(0);
        }
        static const std::string sql = std::string("INSERT INTO messages (") + kMessageColumns +
                                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        auto s = m_c.prepare(sql);
        s.bind(1, m.id).bind(2, m.conversationId).bind(3, m.seq).bind(4, protocol::toString(m.senderType));
        s.bind(5, m.senderAgentId).bind(6, protocol::toString(m.kind)).bind(7, m.content);
        s.bind(8, (m.metadata.is_null() ? nlohmann::json::object() : m.metadata).dump());
        s.bind(9, m.clientMsgId).bind(10, m.createdAt);
        try {
            s.run();
        } catch (const sqlite::SqliteError& e) {
            if (m.clientMsgId && e.code() == SQLITE_CONSTRAINT_UNIQUE &&
                std::string_view(e.what()).find(stored::kClientMsgIdIndex) != std::string_view::npos)
                throw DuplicateClientMsgId();
            throw;
        }
    }

    void insertFaq(const FaqEntry& e, const std::string& now) override {
        auto s = m_c.prepare(
            "INSERT INTO faq_entries (slug, question, answer, display_order, is_active, created_at, "
            "updated_at, keywords) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, e.slug)
            .bind(2, e.question)
            .bind(3, e.answer)
            .bind(4, e.displayOrder)
            .bind(5, e.isActive ? 1 : 0);
        s.bind(6, now).bind(7, now).bind(8, e.keywords);
        s.run();
    }

    void updateFaq(const std::string& slug, const FaqEntry& e, const std::string& now) override {
        auto s = m_c.prepare("UPDATE faq_entries SET slug = ?, question = ?, answer = ?, display_order = ?, "
                             "is_active = ?, updated_at = ?, keywords = ? WHERE slug = ?");
        s.bind(1, e.slug)
            .bind(2, e.question)
            .bind(3, e.answer)
            .bind(4, e.displayOrder)
            .bind(5, e.isActive ? 1 : 0);
        s.bind(6, now).bind(7, e.keywords).bind(8, slug);
        s.run();
    }

    void putSetting(const std::string& key, const std::string& json, const std::string& now) override {
        auto s = m_c.prepare(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
        s.bind(1, key).bind(2, json).bind(3, now);
        s.run();
    }

    bool deleteFaq(const std::string& slug) override {
        auto s = m_c.prepare("DELETE FROM faq_entries WHERE slug = ?");
        s.bind(1, slug);
        s.run();
        return m_c.changes() > 0;
    }

    void insertAgent(const AgentRecord& a) override {
        auto s = m_c.prepare("INSERT INTO agents (id, username, display_name, role, password_hash, presence, "
                             "max_active_chats, last_assignment_no, created_at, updated_at, disabled) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, a.agent.id).bind(2, a.agent.username).bind(3, a.agent.displayName);
        s.bind(4, protocol::toString(a.agent.role))
            .bind(5, a.passwordHash)
            .bind(6, protocol::toString(a.agent.presence));
        s.bind(7, a.agent.maxActiveChats);
        a.lastAssignmentNo ? s.bind(8, *a.lastAssignmentNo) : s.bindNull(8);
        s.bind(9, a.createdAt).bind(10, a.updatedAt).bind(11, a.agent.disabled ? 1 : 0);
        s.run();
    }

    void updateAgent(const AgentRecord& a) override {
        auto s = m_c.prepare("UPDATE agents SET username = ?, display_name = ?, role = ?, password_hash = ?, "
                             "presence = ?, max_active_chats = ?, last_assignment_no = ?, updated_at = ?, "
                             "disabled = ? WHERE id = ?");
        s.bind(1, a.agent.username).bind(2, a.agent.displayName).bind(3, protocol::toString(a.agent.role));
        s.bind(4, a.passwordHash)
            .bind(5, protocol::toString(a.agent.presence))
            .bind(6, a.agent.maxActiveChats);
        a.lastAssignmentNo ? s.bind(7, *a.lastAssignmentNo) : s.bindNull(7);
        s.bind(8, a.updatedAt).bind(9, a.agent.disabled ? 1 : 0).bind(10, a.agent.id);
        s.run();
    }

    void insertAgentSession(const std::string& sessionId, const std::string& agentId,
                            const std::string& createdAt, std::int64_t expiresAt) override {
        auto s = m_c.prepare(
            "INSERT INTO agent_sessions (id, agent_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
        s.bind(1, sessionId).bind(2, agentId).bind(3, createdAt).bind(4, expiresAt);
        s.run();
    }

    int deleteAgentSessions(const std::string& agentId,
                            const std::optional<std::string>& keepSessionId) override {
        auto s = m_c.prepare("DELETE FROM agent_sessions WHERE agent_id = ?1 AND (?2 IS NULL OR id <> ?2)");
        s.bind(1, agentId).bind(2, keepSessionId);
        s.run();
        return static_cast<int>(m_c.changes());
    }

    void deleteExpiredAgentSessions(const std::string& agentId, std::int64_t now) override {
        auto s = m_c.prepare("DELETE FROM agent_sessions WHERE agent_id = ? AND expires_at <= ?");
        s.bind(1, agentId).bind(2, now);
        s.run();
    }

    // --- shoppers after hours and after the chat (issue 21) ---------------------------------
    void setContact(const std::string& conversationId, const protocol::Contact& contact) override {
        auto s = m_c.prepare("UPDATE conversations SET contact_email = ?, contact_name = ? WHERE id = ?");
        s.bind(1, contact.email).bind(2, contact.name).bind(3, conversationId);
        s.run();
    }

    void setRating(const std::string& conversationId, const protocol::Rating& rating) override {
        auto s = m_c.prepare(
            "UPDATE conversations SET rating_score = ?, rating_comment = ?, rated_at = ? WHERE id = ?");
        s.bind(1, rating.score).bind(2, rating.comment).bind(3, rating.createdAt).bind(4, conversationId);
        s.run();
    }

    // --- Reports and data rights (issue 22) ---
    int eraseCustomerSession(const std::string& sessionId, const std::string& now) override {
        // The connection runs with secure_delete on (SqliteStore), so the old content is
        // overwritten with zeros in the file, not just unlinked.
        auto m =
            m_c.prepare("UPDATE messages SET content = '', metadata = '{\"erased\":true}' WHERE "
                        "conversation_id IN (SELECT id FROM conversations WHERE customer_session_id = ?)");
        m.bind(1, sessionId);
        m.run();
        if (*kEraseConversationColumns) {
            static const std::string sql = std::string("UPDATE conversations SET updated_at = updated_at") +
                                           kEraseConversationColumns + " WHERE customer_session_id = ?";
            auto c = m_c.prepare(sql);
            c.bind(1, sessionId);
            c.run();
        }
        // Reply mail (mail21): the outbox holds the shopper's address and copies of the messages.
        for (const char* sql : {"DELETE FROM mail_outbox WHERE conversation_id IN "
                                "(SELECT id FROM conversations WHERE customer_session_id = ?)",
                                "DELETE FROM reply_mail_watch WHERE conversation_id IN "
                                "(SELECT id FROM conversations WHERE customer_session_id = ?)"}) {
            auto d = m_c.prepare(sql);
            d.bind(1, sessionId);
            d.run();
        }
        auto e = m_c.prepare(
            "INSERT OR IGNORE INTO erased_customer_sessions (session_id, erased_at) VALUES (?, ?)");
        e.bind(1, sessionId).bind(2, now);
        e.run();
        auto n = m_c.prepare("SELECT COUNT(*) FROM conversations WHERE customer_session_id = ?");
        n.bind(1, sessionId);
        return n.step() ? static_cast<int>(n.int64(0)) : 0;
    }

    void insertAuditEntry(const AuditEntry& a) override {
        auto s = m_c.prepare(
            "INSERT INTO admin_audit_log (at, actor_agent_id, action, subject) VALUES (?, ?, ?, ?)");
        s.bind(1, a.at).bind(2, a.actorAgentId).bind(3, a.action).bind(4, a.subject);
        s.run();
    }

    // --- agents at work (issue 19): internal notes and canned replies ---
    void insertNote(const protocol::Note& n) override {
        auto s = m_c.prepare("INSERT INTO notes (id, conversation_id, agent_id, agent_display_name, content, "
                             "created_at) VALUES (?, ?, ?, ?, ?, ?)");
        s.bind(1, n.id).bind(2, n.conversationId).bind(3, n.agentId).bind(4, n.agentDisplayName);
        s.bind(5, n.content).bind(6, n.createdAt);
        s.run();
    }

    void insertCannedReply(const protocol::CannedReply& r, const std::string& now) override {
        auto s =
            m_c.prepare("INSERT INTO canned_replies (id, shortcut, title, content, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
        s.bind(1, r.id).bind(2, r.shortcut).bind(3, r.title).bind(4, r.content).bind(5, now).bind(6, now);
        s.run();
    }

    void updateCannedReply(const protocol::CannedReply& r, const std::string& now) override {
        auto s = m_c.prepare(
            "UPDATE canned_replies SET shortcut = ?, title = ?, content = ?, updated_at = ? WHERE id = ?");
        s.bind(1, r.shortcut).bind(2, r.title).bind(3, r.content).bind(4, now).bind(5, r.id);
        s.run();
    }

    bool deleteCannedReply(const std::string& id) override {
        auto s = m_c.prepare("DELETE FROM canned_replies WHERE id = ?");
        s.bind(1, id);
        s.run();
        return m_c.changes() > 0;
    }

    // --- Agents at work B: page context and read marks ----------------------------------------
    void setConversationContext(const std::string& conversationId,
                                const protocol::PageContext& ctx) override {
        auto s = m_c.prepare("UPDATE conversations SET context = ? WHERE id = ?");
        s.bind(1, pageContextJson(ctx)).bind(2, conversationId);
        s.run();
    }

    bool raiseLastReadSeq(const std::string& conversationId, protocol::SenderType reader,
                          std::int64_t seq) override {
        const bool customer = reader == protocol::SenderType::Customer;
        auto s = m_c.prepare(customer ? "UPDATE conversations SET customer_last_read_seq = MIN(?1, last_seq) "
                                        "WHERE id = ?2 AND customer_last_read_seq < MIN(?1, last_seq)"
                                      : "UPDATE conversations SET agent_last_read_seq = MIN(?1, last_seq) "
                                        "WHERE id = ?2 AND agent_last_read_seq < MIN(?1, last_seq)");
        s.bind(1, seq).bind(2, conversationId);
        s.run();
        return m_c.changes() > 0;
    }

    // --- Reply mail (issue 21, mail21) --------------------------------------------------------------
    void watchReplyMail(const std::string& conversationId, const std::string& since) override {
        auto s = m_c.prepare("INSERT INTO reply_mail_watch (conversation_id, pending_since) VALUES (?1, ?2) "
                             "ON CONFLICT (conversation_id) DO UPDATE SET pending_since = "
                             "IFNULL(pending_since, ?2)");
        s.bind(1, conversationId).bind(2, since);
        s.run();
    }

    void putReplyMailWatch(const ReplyMailWatch& w) override {
        auto s =
            m_c.prepare("INSERT OR REPLACE INTO reply_mail_watch "
                        "(conversation_id, pending_since, mailed_seq, last_mail_at) VALUES (?, ?, ?, ?)");
        s.bind(1, w.conversationId).bind(2, w.pendingSince).bind(3, w.mailedSeq).bind(4, w.lastMailAt);
        s.run();
    }

    std::int64_t insertOutboxMail(const OutboxMail& m) override {
        auto s = m_c.prepare("INSERT INTO mail_outbox (conversation_id, recipient, subject, body, last_seq, "
                             "created_at, attempts, next_attempt_at, last_error, failed_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, m.conversationId)
            .bind(2, m.recipient)
            .bind(3, m.subject)
            .bind(4, m.body)
            .bind(5, m.lastSeq)
            .bind(6, m.createdAt)
            .bind(7, m.attempts)
            .bind(8, m.nextAttemptAt)
            .bind(9, m.lastError)
            .bind(10, m.failedAt);
        s.run();
        return sqlite3_last_insert_rowid(m_c.handle());
    }

    void updateOutboxMail(const OutboxMail& m) override {
        auto s = m_c.prepare("UPDATE mail_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, "
                             "failed_at = ? WHERE id = ?");
        s.bind(1, m.attempts).bind(2, m.nextAttemptAt).bind(3, m.lastError).bind(4, m.failedAt).bind(5, m.id);
        s.run();
    }

    void deleteOutboxMail(std::int64_t id) override {
        auto s = m_c.prepare("DELETE FROM mail_outbox WHERE id = ?");
        s.bind(1, id);
        s.run();
    }

    void publishAfterCommit(Event e) override { m_events.push_back(std::move(e)); }

    std::vector<Event> takeEvents() { return std::exchange(m_events, {}); }

private:
    std::vector<Event> m_events;
};

} // namespace

// Transaction statements are prepared once per connection (Connection caches them) rather than
// parsed on every exec.
void readTransaction(Connection& c, const std::function<void(ReadTx&)>& job) {
    c.prepare("BEGIN").run();
    try {
        SqliteReadTx tx(c);
        job(tx);
        c.prepare("COMMIT").run();
    } catch (...) {
        try {
            c.exec("ROLLBACK");
        } catch (...) { // the job's error is the one to report
        }
        throw;
    }
}

std::vector<Event> writeGroupTransaction(Connection& c, std::span<GroupCommitWriter::Job* const> group) {
    std::vector<std::exception_ptr> errors(group.size());
    std::vector<Event> events;
    try {
        c.prepare("BEGIN IMMEDIATE").run();
    } catch (...) {
        for (auto* job : group)
            job->error = std::current_exception();
        return {};
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
        SqliteWriteTx tx(c);
        try {
            c.prepare("SAVEPOINT job").run();
            group[i]->fn()(tx);
            c.prepare("RELEASE job").run();
            auto jobEvents = tx.takeEvents();
            std::move(jobEvents.begin(), jobEvents.end(), std::back_inserter(events));
        } catch (...) {
            errors[i] = std::current_exception();
            if (sqlite3_get_autocommit(c.handle())) {
                // SQLite rolled the whole transaction back (a full disk, an I/O error): the jobs
                // before this one are undone, and the ones after must not run outside it, where
                // each would commit by itself unseen.
                for (auto* job : group)
                    job->error = errors[i];
                return {};
            }
            try {
                c.exec("ROLLBACK TO job");
                c.prepare("RELEASE job").run();
            } catch (const std::exception& e) {
                log::error(std::string("rollback to savepoint failed: ") + e.what());
            }
        }
    }
    try {
        c.prepare("COMMIT").run();
    } catch (...) {
        const auto commitError = std::current_exception();
        try {
            c.exec("ROLLBACK");
        } catch (...) { // the commit's error is the one to report
        }
        for (auto* job : group)
            job->error = commitError;
        return {};
    }
    // Nothing is held once a commit returns: its last write is its last frame's page, over the
    // VFS's small-write size. (Only --db-sync full on a file without powersafe overwrite pads the
    // WAL to a sector and could end on a small tail.) If anything were held, it must reach the
    // kernel before anyone is told the commit happened.
    if (const int rc = flushWalFrames(c.handle()); rc != SQLITE_OK) {
        log::error(std::string("writing the WAL after a commit failed: ") + sqlite3_errstr(rc));
        const auto error =
            std::make_exception_ptr(SqliteError(rc, std::string("write WAL: ") + sqlite3_errstr(rc)));
        for (auto* job : group)
            job->error = error;
        return {};
    }
    for (std::size_t i = 0; i < group.size(); ++i)
        group[i]->error = errors[i];
    return events;
}

} // namespace parley::server::sqlite
