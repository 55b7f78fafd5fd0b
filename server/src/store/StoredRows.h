#pragma once
// The stored forms both stores share (SqliteStore, PgStore): the columns a conversation, message,
// agent and FAQ entry are read with, in that order, and how a row of them becomes a protocol
// object. The mappers take any row type with text, optText, int64 and isNull by column index
// (sqlite::Statement, pg::Row). Both stores keep the same text forms (RFC 3339 timestamps, enum
// names, JSON), so the use cases see identical values whichever store runs.

#include "parley/protocol/Types.h"
#include "store/Store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::server::stored {

constexpr const char* kConversationColumns = "id, customer_session_id, status, assigned_agent_id, "
                                             "requested_agent_at, closed_at, created_at, updated_at, "
                                             "contact_email, contact_name, rating_score, rating_comment, "
                                             "rated_at, context, customer_last_read_seq, agent_last_read_seq";
// The unique index that holds the idempotency key (conversation, sender, client_msg_id); both
// stores name it in the error of an insert it refuses.
constexpr std::string_view kClientMsgIdIndex = "messages_client_msg_id";
constexpr const char* kMessageColumns = "id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                                        "content, metadata, client_msg_id, created_at";
constexpr const char* kAgentSelect =
    "SELECT a.id, a.username, a.display_name, a.role, a.presence, a.max_active_chats, "
    "(SELECT COUNT(*) FROM conversations c WHERE c.status = 'agent' AND c.assigned_agent_id = a.id), "
    "a.password_hash, a.last_assignment_no, a.created_at, a.updated_at, a.disabled FROM agents a ";
constexpr const char* kFaqSelect =
    "SELECT slug, question, answer, display_order, is_active, keywords FROM faq_entries ";

// The page context is one JSON object in conversations.context ("{}" when nothing is known).
protocol::PageContext pageContextFromJson(const std::string& text);
std::string pageContextJson(const protocol::PageContext& ctx);

template <typename Row>
protocol::Conversation conversationFrom(const Row& s) {
    protocol::Conversation c;
    c.id = s.text(0);
    c.customerSessionId = s.text(1);
    c.status = protocol::parseConversationStatus(s.text(2)).value_or(protocol::ConversationStatus::Closed);
    c.assignedAgentId = s.optText(3);
    c.requestedAgentAt = s.optText(4);
    c.closedAt = s.optText(5);
    c.createdAt = s.text(6);
    c.updatedAt = s.text(7);
    // Shoppers after the chat (issue 21): the reply address and the rating, when given.
    if (!s.isNull(8))
        c.contact = protocol::Contact{s.text(8), s.optText(9)};
    if (!s.isNull(10))
        c.rating = protocol::Rating{static_cast<int>(s.int64(10)), s.optText(11), s.text(12)};
    c.context = pageContextFromJson(s.text(13));
    c.customerLastReadSeq = s.int64(14);
    c.agentLastReadSeq = s.int64(15);
    return c;
}

template <typename Row>
protocol::Message messageFrom(const Row& s) {
    protocol::Message m;
    m.id = s.text(0);
    m.conversationId = s.text(1);
    m.seq = s.int64(2);
    m.senderType = protocol::parseSenderType(s.text(3)).value_or(protocol::SenderType::System);
    m.senderAgentId = s.optText(4);
    m.kind = protocol::parseMessageKind(s.text(5)).value_or(protocol::MessageKind::Text);
    m.content = s.text(6);
    m.metadata = nlohmann::json::parse(s.text(7), nullptr, false);
    if (m.metadata.is_discarded())
        m.metadata = nlohmann::json::object();
    m.clientMsgId = s.optText(8);
    m.createdAt = s.text(9);
    return m;
}

template <typename Row>
AgentRecord agentFrom(const Row& s) {
    AgentRecord r;
    r.agent.id = s.text(0);
    r.agent.username = s.text(1);
    r.agent.displayName = s.text(2);
    r.agent.role = protocol::parseRole(s.text(3)).value_or(protocol::Role::Agent);
    r.agent.presence = protocol::parsePresence(s.text(4)).value_or(protocol::Presence::Offline);
    r.agent.maxActiveChats = static_cast<int>(s.int64(5));
    r.agent.activeChats = static_cast<int>(s.int64(6));
    r.passwordHash = s.text(7);
    if (!s.isNull(8))
        r.lastAssignmentNo = s.int64(8);
    r.createdAt = s.text(9);
    r.updatedAt = s.text(10);
    r.agent.disabled = s.int64(11) != 0;
    return r;
}

template <typename Row>
protocol::FaqEntry faqFrom(const Row& s) {
    return protocol::FaqEntry{s.text(0),       s.text(1), s.text(2), static_cast<int>(s.int64(3)),
                              s.int64(4) != 0, s.text(5)};
}

// A figure the SQL returns in thousandths (milliseconds, or an average times 1,000).
template <typename Row>
std::optional<double> fromThousandths(const Row& s, int col) {
    if (s.isNull(col))
        return std::nullopt;
    return static_cast<double>(s.int64(col)) / 1000.0;
}

// Assembles Store::reportFigures from the rows of the report's queries (issue 22): the SQL of the
// two stores differs, what is made of its rows does not. Each add* takes one row of a query whose
// columns are as named; rows of one query come ordered by day, then value.
class ReportBuilder {
public:
    ReportBuilder(const std::vector<ReportDayWindow>& days, bool withAgents);
    // The day windows as the one JSON text the report's days CTE reads: [[startUtc, endUtc], ...].
    const std::string& windows() const { return m_windows; }

    // (day, conversations, bot resolved, handoffs, closed, rating avg x 1000, ratings)
    template <typename Row>
    void addDayCounts(const Row& s) {
        if (auto* row = at(s.int64(0))) {
            row->conversations = s.int64(1);
            row->botResolved = s.int64(2);
            row->handoffs = s.int64(3);
            row->closed = s.int64(4);
            row->ratingAvg = fromThousandths(s, 5);
            row->ratings = s.int64(6);
        }
    }
    // (day, ms from the handoff to the first agent message, that agent's id)
    template <typename Row>
    void addFirstResponse(const Row& s) {
        if (s.int64(0) != m_firstResponses.day)
            flushFirstResponses(s.int64(0));
        m_firstResponses.values.push_back(s.int64(1));
        if (m_withAgents)
            m_agentFirstResponses[s.text(2)].push_back(s.int64(1));
    }
    // (day, ms from the handoff to the close)
    template <typename Row>
    void addResolution(const Row& s) {
        if (s.int64(0) != m_resolutions.day)
            flushResolutions(s.int64(0));
        m_resolutions.values.push_back(s.int64(1));
    }
    // (agent id, display name, closed, rating avg x 1000), after every first response
    template <typename Row>
    void addAgent(const Row& s) {
        addAgent(s.text(0), s.text(1), s.int64(2), fromThousandths(s, 3));
    }

    ReportFigures finish();

private:
    // One query's values of the day being read (rows come ordered by day).
    struct PerDay {
        std::int64_t day = -1;
        std::vector<std::int64_t> values;
    };
    ReportDayRow* at(std::int64_t day);
    // The percentiles of the day read so far; then the values of `next` are collected.
    void flushFirstResponses(std::int64_t next = -1);
    void flushResolutions(std::int64_t next = -1);
    void addAgent(std::string id, std::string name, std::int64_t closed, std::optional<double> rating);

    ReportFigures m_out;
    std::string m_windows;
    bool m_withAgents;
    PerDay m_firstResponses, m_resolutions;
    std::unordered_map<std::string, std::vector<std::int64_t>> m_agentFirstResponses;
};

} // namespace parley::server::stored
