#include "store/pg/PgTx.h"

#include "store/StoredRows.h"
#include "store/pg/PgConnection.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace parley::server::pg {

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

// The rows the search index holds (the partial GIN index's condition and expression).
constexpr const char* kSearchable = "m.kind = 'text' AND m.sender_type IN ('customer', 'agent', 'bot')";
constexpr const char* kSearchVector = "to_tsvector('parley_search'::regconfig, m.content)";

template <typename T, typename F>
std::vector<T> all(const Result& r, F from) {
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i)
        out.push_back(from(Row(r, i)));
    return out;
}

// Milliseconds from timestamp a to timestamp b (RFC 3339 text), rounded, as the SQLite store.
std::string msBetween(const std::string& a, const std::string& b) {
    return "CAST(ROUND(EXTRACT(EPOCH FROM ((" + b + ")::timestamptz - (" + a +
           ")::timestamptz)) * 1000) AS BIGINT)";
}
// The report's days, bound as one JSON text [[startUtc, endUtc], ...].
constexpr const char* kReportDaysCte =
    "WITH days(i, lo, hi) AS (SELECT (t.ord - 1)::bigint, t.value ->> 0, t.value ->> 1 FROM "
    "jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(value, ord)) ";

class PgReadTx : public virtual ReadTx {
public:
    explicit PgReadTx(Connection& c)
        : m_c(c) {}

    std::optional<Conversation> conversation(const std::string& id) override {
        static const std::string sql =
            std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE id = $1";
        auto r = m_c.query(sql, {id});
        if (r.rows() == 0)
            return std::nullopt;
        auto c = conversationFrom(Row(r, 0));
        fillQueuePosition(c);
        return c;
    }

    std::optional<Conversation> openConversationOfSession(const std::string& sessionId) override {
        static const std::string sql =
            std::string("SELECT ") + kConversationColumns +
            " FROM conversations WHERE customer_session_id = $1 AND status <> 'closed'";
        auto r = m_c.query(sql, {sessionId});
        if (r.rows() == 0)
            return std::nullopt;
        auto c = conversationFrom(Row(r, 0));
        fillQueuePosition(c);
        return c;
    }

    std::vector<Message> messages(const std::string& conversationId, std::int64_t afterSeq,
                                  int limit) override {
        static const std::string sql = std::string("SELECT ") + kMessageColumns +
                                       " FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq "
                                       "LIMIT $3";
        auto r = m_c.query(sql, {conversationId, afterSeq, limit > 0 ? Param(limit) : Param(std::nullopt)});
        return all<Message>(r, messageFrom<Row>);
    }

    std::optional<Message> messageByClientId(const std::string& conversationId, protocol::SenderType sender,
                                             const std::string& senderAgentId,
                                             const std::string& clientMsgId) override {
        // The same expressions as the unique index messages_client_msg_id, so that it is used.
        static const std::string sql = std::string("SELECT ") + kMessageColumns +
                                       " FROM messages WHERE conversation_id = $1 AND sender_type = $2 AND "
                                       "COALESCE(sender_agent_id, '') = $3 AND client_msg_id = $4";
        auto r = m_c.query(sql, {conversationId, protocol::toString(sender), senderAgentId, clientMsgId});
        if (r.rows() == 0)
            return std::nullopt;
        return messageFrom(Row(r, 0));
    }

    std::int64_t lastSeq(const std::string& conversationId) override {
        auto r = m_c.query("SELECT last_seq FROM conversations WHERE id = $1", {conversationId});
        return r.rows() > 0 ? r.int64(0, 0) : 0;
    }

    std::vector<Conversation> queue() override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations WHERE status = 'agent' AND assigned_agent_id IS "
                                       "NULL ORDER BY requested_agent_at, queue_ticket";
        auto out = all<Conversation>(m_c.query(sql), conversationFrom<Row>);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].queuePosition = static_cast<int>(i + 1);
        return out;
    }

    std::vector<Conversation> conversationsAssignedTo(const std::string& agentId) override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations WHERE status = 'agent' AND assigned_agent_id = $1"
                                       " ORDER BY updated_at DESC, id";
        return all<Conversation>(m_c.query(sql, {agentId}), conversationFrom<Row>);
    }

    std::vector<FaqEntry> faq(bool activeOnly) override {
        static const std::string active =
            std::string(kFaqSelect) + "WHERE is_active = 1 ORDER BY display_order, slug";
        static const std::string every = std::string(kFaqSelect) + "ORDER BY display_order, slug";
        return all<FaqEntry>(m_c.query(activeOnly ? active : every), faqFrom<Row>);
    }

    std::optional<FaqEntry> faqEntry(const std::string& slug) override {
        static const std::string sql = std::string(kFaqSelect) + "WHERE slug = $1";
        auto r = m_c.query(sql, {slug});
        if (r.rows() == 0)
            return std::nullopt;
        return faqFrom(Row(r, 0));
    }

    std::optional<std::string> setting(const std::string& key) override {
        auto r = m_c.query("SELECT value FROM settings WHERE key = $1", {key});
        if (r.rows() == 0)
            return std::nullopt;
        return r.text(0, 0);
    }

    std::optional<AgentRecord> agentById(const std::string& id) override {
        static const std::string sql = std::string(kAgentSelect) + "WHERE a.id = $1";
        auto r = m_c.query(sql, {id});
        if (r.rows() == 0)
            return std::nullopt;
        return agentFrom(Row(r, 0));
    }

    std::optional<protocol::Role> agentSessionRole(const std::string& sessionId,
                                                   const std::string& agentId) override {
        auto r = m_c.query("SELECT a.role FROM agent_sessions s JOIN agents a ON a.id = s.agent_id "
                           "WHERE s.id = $1 AND s.agent_id = $2",
                           {sessionId, agentId});
        if (r.rows() == 0)
            return std::nullopt;
        return protocol::parseRole(r.text(0, 0)).value_or(protocol::Role::Agent);
    }

    std::optional<AgentRecord> agentByUsername(const std::string& username) override {
        // SQLite's username column is COLLATE NOCASE: the lookup ignores ASCII case (agents_username).
        static const std::string sql = std::string(kAgentSelect) + "WHERE lower(a.username) = lower($1)";
        auto r = m_c.query(sql, {username});
        if (r.rows() == 0)
            return std::nullopt;
        return agentFrom(Row(r, 0));
    }

    std::vector<AgentRecord> agents() override {
        static const std::string sql = std::string(kAgentSelect) + "ORDER BY lower(a.username), a.username";
        return all<AgentRecord>(m_c.query(sql), agentFrom<Row>);
    }

    std::vector<std::string> onlineAgentIds() override {
        auto r =
            m_c.query("SELECT id FROM agents WHERE presence = 'online' ORDER BY lower(username), username");
        return all<std::string>(r, [](const Row& s) { return s.text(0); });
    }

    std::vector<std::string> idleConversationIds(const std::string& cutoff, int limit) override {
        auto r = m_c.query(
            "SELECT c.id FROM conversations c "
            "JOIN messages m ON m.conversation_id = c.id AND m.seq = (SELECT MAX(x.seq) FROM messages x "
            "WHERE x.conversation_id = c.id AND x.sender_type IN ('customer', 'agent', 'system')) "
            "WHERE c.status = 'agent' AND c.assigned_agent_id IS NOT NULL AND m.sender_type = 'agent' "
            "AND m.sender_agent_id = c.assigned_agent_id "
            "AND m.created_at <= $1 ORDER BY m.created_at LIMIT $2",
            {cutoff, limit});
        return all<std::string>(r, [](const Row& s) { return s.text(0); });
    }

    std::vector<protocol::Note> notes(const std::string& conversationId) override {
        auto r = m_c.query("SELECT id, conversation_id, agent_id, agent_display_name, content, created_at "
                           "FROM notes WHERE conversation_id = $1 ORDER BY created_at, row_no",
                           {conversationId});
        return all<protocol::Note>(r, [](const Row& s) {
            return protocol::Note{s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
        });
    }

    std::vector<protocol::CannedReply> cannedReplies() override {
        auto r = m_c.query("SELECT id, shortcut, title, content FROM canned_replies ORDER BY shortcut");
        return all<protocol::CannedReply>(r, cannedFrom);
    }

    std::optional<protocol::CannedReply> cannedReply(const std::string& id) override {
        auto r = m_c.query("SELECT id, shortcut, title, content FROM canned_replies WHERE id = $1", {id});
        if (r.rows() == 0)
            return std::nullopt;
        return cannedFrom(Row(r, 0));
    }

    std::optional<protocol::CannedReply> cannedReplyByShortcut(const std::string& shortcut) override {
        auto r = m_c.query("SELECT id, shortcut, title, content FROM canned_replies WHERE shortcut = $1",
                           {shortcut});
        if (r.rows() == 0)
            return std::nullopt;
        return cannedFrom(Row(r, 0));
    }

    std::vector<Conversation> conversationsOfSession(const std::string& sessionId) override {
        static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                       " FROM conversations WHERE customer_session_id = $1"
                                       " ORDER BY created_at DESC, row_no DESC";
        auto out = all<Conversation>(m_c.query(sql, {sessionId}), conversationFrom<Row>);
        for (auto& c : out)
            fillQueuePosition(c);
        return out;
    }

    std::vector<MessageHit> searchMessages(const std::string& ftsQuery, int limit) override {
        const auto words = searchWords(ftsQuery);
        if (words.empty())
            return {};
        // Best first (ts_rank: higher is better), then the newer message, as the SQLite store.
        static const std::string sql =
            "SELECT m.id, m.conversation_id, m.seq, m.sender_type, m.sender_agent_id, m.kind, m.content, "
            "m.metadata, m.client_msg_id, m.created_at FROM messages m, "
            "plainto_tsquery('parley_search'::regconfig, $1) q WHERE " +
            std::string(kSearchable) + " AND " + kSearchVector + " @@ q ORDER BY ts_rank(" + kSearchVector +
            ", q) DESC, m.created_at DESC LIMIT $2";
        auto r = m_c.query(sql, {words, limit});
        std::vector<MessageHit> out;
        for (int i = 0; i < r.rows(); ++i)
            out.push_back(MessageHit{{}, messageFrom(Row(r, i))});
        for (auto& hit : out)
            if (auto c = conversation(hit.message.conversationId))
                hit.conversation = std::move(*c);
        return out;
    }

    ReportFigures reportFigures(const std::vector<ReportDayWindow>& days, bool withAgents) override {
        if (days.empty())
            return {};
        stored::ReportBuilder report(days, withAgents);
        const auto each = [](const Result& r, const auto& add) {
            for (int i = 0; i < r.rows(); ++i)
                add(Row(r, i));
        };
        {
            static const std::string sql =
                std::string(kReportDaysCte) +
                "SELECT d.i, "
                "(SELECT COUNT(*) FROM conversations c WHERE c.created_at >= d.lo AND c.created_at < d.hi), "
                "(SELECT COUNT(*) FROM conversations c WHERE c.created_at >= d.lo AND c.created_at < d.hi "
                "AND c.requested_agent_at IS NULL), "
                "(SELECT COUNT(*) FROM conversations c WHERE c.requested_agent_at >= d.lo AND "
                "c.requested_agent_at < d.hi), "
                "(SELECT COUNT(*) FROM conversations c WHERE c.closed_at >= d.lo AND c.closed_at < d.hi), "
                "(SELECT CAST(ROUND(AVG(c.rating_score) * 1000) AS BIGINT) FROM conversations c WHERE "
                "c.closed_at >= d.lo AND c.closed_at < d.hi), "
                "(SELECT COUNT(c.rating_score) FROM conversations c WHERE c.closed_at >= d.lo AND "
                "c.closed_at < d.hi) "
                "FROM days d";
            each(m_c.query(sql, {report.windows()}), [&](const Row& s) { report.addDayCounts(s); });
        }
        {
            // Each handoff's first agent reply, as its conversation records it (schema step 13).
            static const std::string sql =
                std::string(kReportDaysCte) + "SELECT d.i, " +
                msBetween("c.requested_agent_at", "c.first_agent_reply_at") +
                " AS v, COALESCE(c.first_agent_reply_by, '') FROM days d JOIN conversations c ON "
                "c.requested_agent_at >= d.lo AND c.requested_agent_at < d.hi WHERE c.first_agent_reply_at "
                "IS NOT NULL ORDER BY d.i, v";
            each(m_c.query(sql, {report.windows()}), [&](const Row& s) { report.addFirstResponse(s); });
        }
        {
            static const std::string sql =
                std::string(kReportDaysCte) + "SELECT d.i, " +
                msBetween("c.requested_agent_at", "c.closed_at") +
                " AS v FROM days d JOIN conversations c ON c.closed_at >= d.lo AND c.closed_at < d.hi "
                "WHERE c.requested_agent_at IS NOT NULL ORDER BY d.i, v";
            each(m_c.query(sql, {report.windows()}), [&](const Row& s) { report.addResolution(s); });
        }
        if (withAgents) {
            static const std::string sql =
                "SELECT a.id, a.display_name, COALESCE(cl.closed, 0), CAST(ROUND(cl.rating * 1000) AS "
                "BIGINT) "
                "FROM agents a LEFT JOIN (SELECT c.assigned_agent_id AS agent, COUNT(*) AS closed, "
                "AVG(c.rating_score) AS rating FROM conversations c WHERE c.closed_at >= $1 AND c.closed_at "
                "< $2 "
                "AND c.assigned_agent_id IS NOT NULL GROUP BY c.assigned_agent_id) cl ON cl.agent = a.id "
                "ORDER BY a.display_name, a.id";
            each(m_c.query(sql, {days.front().startUtc, days.back().endUtc}),
                 [&](const Row& s) { report.addAgent(s); });
        }
        return report.finish();
    }

    std::vector<std::string> erasedCustomerSessions() override {
        auto r = m_c.query("SELECT session_id FROM erased_customer_sessions");
        return all<std::string>(r, [](const Row& s) { return s.text(0); });
    }

    std::vector<AuditEntry> auditLog(int limit) override {
        auto r =
            m_c.query("SELECT l.id, l.at, l.actor_agent_id, COALESCE(a.username, ''), l.action, l.subject "
                      "FROM admin_audit_log l LEFT JOIN agents a ON a.id = l.actor_agent_id "
                      "ORDER BY l.id DESC LIMIT $1",
                      {limit});
        return all<AuditEntry>(r, [](const Row& s) {
            return AuditEntry{s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5)};
        });
    }

    // --- Reply mail (issue 21): as SqliteTx ---------------------------------------------------------
    std::optional<ReplyMailWatch> replyMailWatch(const std::string& conversationId) override {
        auto r = m_c.query("SELECT conversation_id, pending_since, mailed_seq, last_mail_at "
                           "FROM reply_mail_watch WHERE conversation_id = $1",
                           {conversationId});
        if (r.rows() == 0)
            return std::nullopt;
        return watchFrom(Row(r, 0));
    }

    std::vector<ReplyMailWatch> dueReplyMailWatches(const std::string& cutoff, int limit) override {
        auto r = m_c.query("SELECT conversation_id, pending_since, mailed_seq, last_mail_at "
                           "FROM reply_mail_watch WHERE pending_since IS NOT NULL AND pending_since <= $1 "
                           "ORDER BY pending_since LIMIT $2",
                           {cutoff, limit});
        return all<ReplyMailWatch>(r, watchFrom);
    }

    std::vector<OutboxMail> dueOutboxMails(const std::string& now, int limit) override {
        auto r =
            m_c.query(std::string("SELECT ") + kOutboxColumns +
                          " FROM mail_outbox WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 "
                          "ORDER BY next_attempt_at, id LIMIT $2",
                      {now, limit});
        return all<OutboxMail>(r, outboxMailFrom);
    }

    std::optional<std::string> nextOutboxAttemptAt() override {
        auto r = m_c.query("SELECT MIN(next_attempt_at) FROM mail_outbox WHERE next_attempt_at IS NOT NULL");
        return r.rows() > 0 ? r.optText(0, 0) : std::nullopt;
    }

    std::vector<OutboxMail> outboxMailsOf(const std::string& conversationId) override {
        auto r = m_c.query(std::string("SELECT ") + kOutboxColumns +
                               " FROM mail_outbox WHERE conversation_id = $1 ORDER BY id",
                           {conversationId});
        return all<OutboxMail>(r, outboxMailFrom);
    }

protected:
    static constexpr const char* kOutboxColumns =
        "id, conversation_id, recipient, subject, body, last_seq, created_at, attempts, next_attempt_at, "
        "last_error, failed_at";
    static ReplyMailWatch watchFrom(const Row& s) {
        return ReplyMailWatch{s.text(0), s.optText(1), s.int64(2), s.optText(3)};
    }
    static OutboxMail outboxMailFrom(const Row& s) {
        return OutboxMail{s.int64(0),   s.text(1),    s.text(2),    s.text(3),
                          s.text(4),    s.int64(5),   s.text(6),    static_cast<int>(s.int64(7)),
                          s.optText(8), s.optText(9), s.optText(10)};
    }

    static protocol::CannedReply cannedFrom(const Row& s) {
        return protocol::CannedReply{s.text(0), s.text(1), s.text(2), s.text(3)};
    }

    void fillQueuePosition(Conversation& c) {
        if (!c.isQueued())
            return;
        auto r = m_c.query(
            "SELECT COUNT(*) FROM conversations me, conversations o "
            "WHERE me.id = $1 AND o.status = 'agent' AND o.assigned_agent_id IS NULL AND "
            "o.requested_agent_at <= me.requested_agent_at AND (o.requested_agent_at < me.requested_agent_at "
            "OR o.queue_ticket < me.queue_ticket)",
            {c.id});
        c.queuePosition = r.rows() > 0 ? static_cast<int>(r.int64(0, 0)) + 1 : 1;
    }

    Connection& m_c;
};

class PgWriteTx final : public WriteTx, public PgReadTx {
public:
    explicit PgWriteTx(Connection& c)
        : PgReadTx(c) {}

    void insertConversation(const Conversation& c) override {
        m_c.query(
            "INSERT INTO conversations (id, customer_session_id, status, assigned_agent_id, "
            "requested_agent_at, closed_at, created_at, updated_at, context) VALUES ($1, $2, $3, $4, $5, "
            "$6, $7, $8, $9)",
            {c.id, c.customerSessionId, protocol::toString(c.status), c.assignedAgentId, c.requestedAgentAt,
             c.closedAt, c.createdAt, c.updatedAt, pageContextJson(c.context)});
    }

    void updateConversation(const Conversation& c) override {
        // A conversation takes a queue ticket the first time it asks for an agent and keeps it.
        // Writers are serialized (the advisory lock), so MAX + 1 is never taken twice.
        m_c.query("UPDATE conversations SET status = $1, assigned_agent_id = $2, requested_agent_at = $3, "
                  "closed_at = $4, updated_at = $5, queue_ticket = CASE WHEN $3::text IS NOT NULL AND "
                  "queue_ticket IS NULL THEN (SELECT COALESCE(MAX(queue_ticket), 0) + 1 FROM conversations) "
                  "ELSE queue_ticket END WHERE id = $6",
                  {protocol::toString(c.status), c.assignedAgentId, c.requestedAgentAt, c.closedAt,
                   c.updatedAt, c.id});
    }

    void appendMessage(Message& m) override {
        // An agent's message is the conversation's first agent reply if none is recorded yet (the
        // reports' first response; schema step 13). SET reads the row as it was.
        auto r =
            m.senderType == protocol::SenderType::Agent
                ? m_c.query("UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1, "
                            "first_agent_reply_at = COALESCE(first_agent_reply_at, $1), "
                            "first_agent_reply_by = CASE WHEN first_agent_reply_at IS NULL THEN $3 "
                            "ELSE first_agent_reply_by END WHERE id = $2 RETURNING last_seq",
                            {m.createdAt, m.conversationId, m.senderAgentId})
                : m_c.query("UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = "
                            "$2 RETURNING last_seq",
                            {m.createdAt, m.conversationId});
        if (r.rows() == 0)
            throw PgError("appendMessage: no conversation " + m.conversationId, false);
        m.seq = r.int64(0, 0);
        static const std::string sql = std::string("INSERT INTO messages (") + kMessageColumns +
                                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        try {
            m_c.query(sql, {m.id, m.conversationId, m.seq, protocol::toString(m.senderType), m.senderAgentId,
                            protocol::toString(m.kind), m.content,
                            (m.metadata.is_null() ? nlohmann::json::object() : m.metadata).dump(),
                            m.clientMsgId, m.createdAt});
        } catch (const PgError& e) {
            // 23505: unique_violation. The job's savepoint takes the failed statement back.
            if (m.clientMsgId && e.sqlState() == "23505" &&
                std::string_view(e.what()).find(stored::kClientMsgIdIndex) != std::string_view::npos)
                throw DuplicateClientMsgId();
            throw;
        }
    }

    void insertFaq(const FaqEntry& e, const std::string& now) override {
        m_c.query("INSERT INTO faq_entries (slug, question, answer, display_order, is_active, created_at, "
                  "updated_at, keywords) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                  {e.slug, e.question, e.answer, e.displayOrder, e.isActive ? 1 : 0, now, now, e.keywords});
    }

    void updateFaq(const std::string& slug, const FaqEntry& e, const std::string& now) override {
        m_c.query("UPDATE faq_entries SET slug = $1, question = $2, answer = $3, display_order = $4, "
                  "is_active = $5, updated_at = $6, keywords = $7 WHERE slug = $8",
                  {e.slug, e.question, e.answer, e.displayOrder, e.isActive ? 1 : 0, now, e.keywords, slug});
    }

    bool deleteFaq(const std::string& slug) override {
        return m_c.query("DELETE FROM faq_entries WHERE slug = $1", {slug}).affected() > 0;
    }

    void putSetting(const std::string& key, const std::string& json, const std::string& now) override {
        m_c.query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                  {key, json, now});
    }

    void insertAgent(const AgentRecord& a) override {
        m_c.query("INSERT INTO agents (id, username, display_name, role, password_hash, presence, "
                  "max_active_chats, last_assignment_no, created_at, updated_at, disabled) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                  {a.agent.id, a.agent.username, a.agent.displayName, protocol::toString(a.agent.role),
                   a.passwordHash, protocol::toString(a.agent.presence), a.agent.maxActiveChats,
                   a.lastAssignmentNo ? Param(*a.lastAssignmentNo) : Param(std::nullopt), a.createdAt,
                   a.updatedAt, a.agent.disabled ? 1 : 0});
    }

    void updateAgent(const AgentRecord& a) override {
        m_c.query("UPDATE agents SET username = $1, display_name = $2, role = $3, password_hash = $4, "
                  "presence = $5, max_active_chats = $6, last_assignment_no = $7, updated_at = $8, "
                  "disabled = $9 WHERE id = $10",
                  {a.agent.username, a.agent.displayName, protocol::toString(a.agent.role), a.passwordHash,
                   protocol::toString(a.agent.presence), a.agent.maxActiveChats,
                   a.lastAssignmentNo ? Param(*a.lastAssignmentNo) : Param(std::nullopt), a.updatedAt,
                   a.agent.disabled ? 1 : 0, a.agent.id});
    }

    void insertAgentSession(const std::string& sessionId, const std::string& agentId,
                            const std::string& createdAt, std::int64_t expiresAt) override {
        m_c.query("INSERT INTO agent_sessions (id, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                  {sessionId, agentId, createdAt, expiresAt});
    }

    int deleteAgentSessions(const std::string& agentId,
                            const std::optional<std::string>& keepSessionId) override {
        auto r =
            m_c.query("DELETE FROM agent_sessions WHERE agent_id = $1 AND ($2::text IS NULL OR id <> $2)",
                      {agentId, keepSessionId});
        return static_cast<int>(r.affected());
    }

    void deleteExpiredAgentSessions(const std::string& agentId, std::int64_t now) override {
        m_c.query("DELETE FROM agent_sessions WHERE agent_id = $1 AND expires_at <= $2", {agentId, now});
    }

    void setContact(const std::string& conversationId, const protocol::Contact& contact) override {
        m_c.query("UPDATE conversations SET contact_email = $1, contact_name = $2 WHERE id = $3",
                  {contact.email, contact.name, conversationId});
    }

    void setRating(const std::string& conversationId, const protocol::Rating& rating) override {
        m_c.query(
            "UPDATE conversations SET rating_score = $1, rating_comment = $2, rated_at = $3 WHERE id = $4",
            {rating.score, rating.comment, rating.createdAt, conversationId});
    }

    int eraseCustomerSession(const std::string& sessionId, const std::string& now) override {
        // PostgreSQL keeps old row versions until VACUUM reclaims them (no secure_delete): the
        // erased text leaves the files when autovacuum has run (docs/ARCHITECTURE.md).
        m_c.query("UPDATE messages SET content = '', metadata = '{\"erased\":true}' WHERE "
                  "conversation_id IN (SELECT id FROM conversations WHERE customer_session_id = $1)",
                  {sessionId});
        m_c.query("UPDATE conversations SET context = '{}', contact_email = NULL, contact_name = NULL, "
                  "rating_comment = NULL WHERE customer_session_id = $1",
                  {sessionId});
        // Reply mail: the outbox holds the shopper's address and copies of the messages.
        m_c.query("DELETE FROM mail_outbox WHERE conversation_id IN "
                  "(SELECT id FROM conversations WHERE customer_session_id = $1)",
                  {sessionId});
        m_c.query("DELETE FROM reply_mail_watch WHERE conversation_id IN "
                  "(SELECT id FROM conversations WHERE customer_session_id = $1)",
                  {sessionId});
        m_c.query("INSERT INTO erased_customer_sessions (session_id, erased_at) VALUES ($1, $2) "
                  "ON CONFLICT DO NOTHING",
                  {sessionId, now});
        auto n = m_c.query("SELECT COUNT(*) FROM conversations WHERE customer_session_id = $1", {sessionId});
        return n.rows() > 0 ? static_cast<int>(n.int64(0, 0)) : 0;
    }

    void insertAuditEntry(const AuditEntry& a) override {
        m_c.query("INSERT INTO admin_audit_log (at, actor_agent_id, action, subject) VALUES ($1, $2, $3, $4)",
                  {a.at, a.actorAgentId, a.action, a.subject});
    }

    void insertNote(const protocol::Note& n) override {
        m_c.query(
            "INSERT INTO notes (id, conversation_id, agent_id, agent_display_name, content, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            {n.id, n.conversationId, n.agentId, n.agentDisplayName, n.content, n.createdAt});
    }

    void insertCannedReply(const protocol::CannedReply& r, const std::string& now) override {
        m_c.query("INSERT INTO canned_replies (id, shortcut, title, content, created_at, updated_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6)",
                  {r.id, r.shortcut, r.title, r.content, now, now});
    }

    void updateCannedReply(const protocol::CannedReply& r, const std::string& now) override {
        m_c.query("UPDATE canned_replies SET shortcut = $1, title = $2, content = $3, updated_at = $4 WHERE "
                  "id = $5",
                  {r.shortcut, r.title, r.content, now, r.id});
    }

    bool deleteCannedReply(const std::string& id) override {
        return m_c.query("DELETE FROM canned_replies WHERE id = $1", {id}).affected() > 0;
    }

    void setConversationContext(const std::string& conversationId,
                                const protocol::PageContext& ctx) override {
        m_c.query("UPDATE conversations SET context = $1 WHERE id = $2",
                  {pageContextJson(ctx), conversationId});
    }

    bool raiseLastReadSeq(const std::string& conversationId, protocol::SenderType reader,
                          std::int64_t seq) override {
        const bool customer = reader == protocol::SenderType::Customer;
        auto r = m_c.query(
            customer ? "UPDATE conversations SET customer_last_read_seq = LEAST($1::bigint, last_seq) "
                       "WHERE id = $2 AND customer_last_read_seq < LEAST($1::bigint, last_seq)"
                     : "UPDATE conversations SET agent_last_read_seq = LEAST($1::bigint, last_seq) "
                       "WHERE id = $2 AND agent_last_read_seq < LEAST($1::bigint, last_seq)",
            {seq, conversationId});
        return r.affected() > 0;
    }

    // --- Reply mail (issue 21): as SqliteTx ---------------------------------------------------------
    void watchReplyMail(const std::string& conversationId, const std::string& since) override {
        m_c.query("INSERT INTO reply_mail_watch (conversation_id, pending_since) VALUES ($1, $2) "
                  "ON CONFLICT (conversation_id) DO UPDATE SET pending_since = "
                  "COALESCE(reply_mail_watch.pending_since, EXCLUDED.pending_since)",
                  {conversationId, since});
    }

    void putReplyMailWatch(const ReplyMailWatch& w) override {
        m_c.query("INSERT INTO reply_mail_watch (conversation_id, pending_since, mailed_seq, last_mail_at) "
                  "VALUES ($1, $2, $3, $4) ON CONFLICT (conversation_id) DO UPDATE SET "
                  "pending_since = EXCLUDED.pending_since, mailed_seq = EXCLUDED.mailed_seq, "
                  "last_mail_at = EXCLUDED.last_mail_at",
                  {w.conversationId, w.pendingSince, w.mailedSeq, w.lastMailAt});
    }

    std::int64_t insertOutboxMail(const OutboxMail& m) override {
        auto r = m_c.query("INSERT INTO mail_outbox (conversation_id, recipient, subject, body, last_seq, "
                           "created_at, attempts, next_attempt_at, last_error, failed_at) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                           {m.conversationId, m.recipient, m.subject, m.body, m.lastSeq, m.createdAt,
                            m.attempts, m.nextAttemptAt, m.lastError, m.failedAt});
        return r.int64(0, 0);
    }

    void updateOutboxMail(const OutboxMail& m) override {
        m_c.query(
            "UPDATE mail_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3, failed_at = $4 "
            "WHERE id = $5",
            {m.attempts, m.nextAttemptAt, m.lastError, m.failedAt, m.id});
    }

    void deleteOutboxMail(std::int64_t id) override {
        m_c.query("DELETE FROM mail_outbox WHERE id = $1", {id});
    }

    void publishAfterCommit(Event e) override { m_events.push_back(std::move(e)); }

    std::vector<Event> takeEvents() { return std::exchange(m_events, {}); }

private:
    std::vector<Event> m_events;
};

} // namespace

void runRead(Connection& c, const std::function<void(ReadTx&)>& job) {
    PgReadTx tx(c);
    job(tx);
}

std::vector<Event> runWrite(Connection& c, const std::function<void(WriteTx&)>& job) {
    PgWriteTx tx(c);
    job(tx);
    return tx.takeEvents();
}

std::string searchWords(const std::string& ftsQuery) {
    // "a" "b""c" -> a b"c: each quoted string is one word; "" inside it is one quote.
    std::string out;
    std::size_t i = 0;
    while (i < ftsQuery.size()) {
        if (ftsQuery[i] != '"') {
            ++i;
            continue;
        }
        ++i;
        if (!out.empty())
            out += ' ';
        while (i < ftsQuery.size()) {
            if (ftsQuery[i] == '"') {
                if (i + 1 < ftsQuery.size() && ftsQuery[i + 1] == '"') {
                    out += '"';
                    i += 2;
                    continue;
                }
                ++i;
                break;
            }
            out += ftsQuery[i++];
        }
    }
    return out;
}

} // namespace parley::server::pg
