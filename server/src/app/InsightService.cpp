#include "app/InsightService.h"

#include "parley/protocol/Codec.h"
#include "parley/protocol/Errors.h"
#include "parley/protocol/Events.h"
#include "util/Text.h"

namespace parley::server {

using nlohmann::json;
using protocol::Conversation;
using protocol::ConversationStatus;
namespace events = protocol::events;
namespace errors = protocol::errors;

namespace {

Conversation visible(ReadTx& tx, const Caller& who, const std::string& id) {
    if (!isUuid(id))
        throw ApiError::notFound("No such conversation.");
    auto c = tx.conversation(id);
    if (!c)
        throw ApiError::notFound("No such conversation.");
    if (auto* cu = std::get_if<CustomerIdentity>(&who); cu && c->customerSessionId != cu->sessionId)
        throw ApiError::notFound("No such conversation.");
    return *c;
}

ApiError closedError() {
    return {409, errors::kConversationClosed, "The conversation is closed."};
}

// The agent side of a conversation: its assigned agent and agents watching it.
Audience agentSide(const Conversation& c) {
    Audience a;
    if (c.assignedAgentId)
        a.agentIds.push_back(*c.assignedAgentId);
    a.watchersOf = c.id;
    return a;
}

Audience customerSide(const Conversation& c) {
    Audience a;
    a.customerSessionId = c.customerSessionId;
    return a;
}

} // namespace

protocol::PageContext pageContextFrom(const json& value) {
    if (value.is_null())
        return {};
    if (!value.is_object())
        throw ApiError::invalid("context must be an object.");
    auto field = [&value](const char* key) -> std::optional<std::string> {
        auto it = value.find(key);
        if (it == value.end() || it->is_null())
            return std::nullopt;
        if (!it->is_string())
            throw ApiError::invalid(std::string("context.") + key + " must be a string.");
        const auto& text = it->get_ref<const std::string&>();
        if (!isValidUtf8(text))
            throw ApiError::invalid(std::string("context.") + key + " is not valid UTF-8.");
        if (utf8Length(text) > protocol::kMaxContextFieldChars)
            throw ApiError::invalid(std::string("context.") + key + " must be at most " +
                                    std::to_string(protocol::kMaxContextFieldChars) + " characters.");
        if (text.empty())
            return std::nullopt;
        return text;
    };
    return protocol::PageContext{field("page_url"), field("page_title"), field("referrer"), field("locale"),
                                 field("user_agent")};
}

InsightService::InsightService(Store& store, const Clock& clock)
    : m_store(store)
    , m_clock(clock) {}

void InsightService::write(const std::function<void(WriteTx&)>& job) {
    try {
        m_store.write(job);
    } catch (const StoreOverloaded& e) {
        throw ApiError::overloaded(e.retryAfterSeconds());
    }
}

Conversation InsightService::setContext(const CustomerIdentity& who, const std::string& conversationId,
                                        const protocol::PageContext& context) {
    Conversation out;
    write([&](WriteTx& tx) {
        auto c = visible(tx, Caller{who}, conversationId);
        if (c.status == ConversationStatus::Closed)
            throw closedError();
        if (c.context == context) {
            out = c;
            return;
        }
        tx.setConversationContext(c.id, context);
        c.context = context;
        tx.publishAfterCommit(
            Event{events::kConversationUpdated, json{{"conversation", c}}, agentSide(c), c.id, 0});
        out = std::move(c);
    });
    return out;
}

Conversation InsightService::markRead(const Caller& who, const std::string& conversationId,
                                      std::int64_t seq) {
    if (seq < 0)
        throw ApiError::invalid("seq must be a non-negative integer.");
    const auto* agent = std::get_if<AgentIdentity>(&who);
    Conversation out;
    write([&](WriteTx& tx) {
        auto c = visible(tx, who, conversationId);
        if (agent && c.assignedAgentId != agent->agentId)
            throw ApiError::forbidden("Only the agent assigned to this conversation marks it read.");
        const auto reader = agent ? protocol::SenderType::Agent : protocol::SenderType::Customer;
        if (tx.raiseLastReadSeq(c.id, reader, seq)) {
            c = *tx.conversation(c.id);
            const auto mark = agent ? c.agentLastReadSeq : c.customerLastReadSeq;
            tx.publishAfterCommit(Event{
                events::kConversationRead,
                json{{"conversation_id", c.id}, {"reader", agent ? "agent" : "customer"}, {"seq", mark}},
                agent ? customerSide(c) : agentSide(c), c.id, 0});
        }
        out = std::move(c);
    });
    return out;
}

std::vector<Conversation> InsightService::conversationsOfShopper(const AgentIdentity&,
                                                                 const std::string& customerSessionId) const {
    if (customerSessionId.empty() || customerSessionId.size() > 128)
        throw ApiError::invalid("customer_session_id is required (at most 128 characters).");
    return m_store.readResult([&](ReadTx& tx) { return tx.conversationsOfSession(customerSessionId); });
}

std::string InsightService::ftsQuery(const std::string& query) {
    // Words are split at white space; each goes to FTS5 as one quoted string (its tokenizer splits
    // "e-mail" or "don't" further, as it did when indexing). A word without a letter or digit
    // would be an empty phrase: left out.
    std::string out;
    std::size_t terms = 0;
    std::size_t i = 0;
    while (i < query.size() && terms < kMaxQueryTerms) {
        while (i < query.size() &&
               (query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r'))
            ++i;
        const std::size_t start = i;
        while (i < query.size() &&
               !(query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r'))
            ++i;
        const std::string_view word(query.data() + start, i - start);
        bool hasWordChar = false;
        for (char ch : word) {
            const auto u = static_cast<unsigned char>(ch);
            if (u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z'))
                hasWordChar = true;
        }
        if (!hasWordChar)
            continue;
        if (!out.empty())
            out += ' ';
        out += '"';
        for (char ch : word) {
            if (ch == '"')
                out += '"';
            out += ch;
        }
        out += '"';
        ++terms;
    }
    return out;
}

std::vector<MessageHit> InsightService::search(const AgentIdentity&, const std::string& query,
                                               int limit) const {
    if (!isValidUtf8(query))
        throw ApiError::invalid("q is not valid UTF-8.");
    if (isBlank(query))
        throw ApiError::invalid("q must not be empty.");
    if (utf8Length(query) > kMaxQueryChars)
        throw ApiError::invalid("q must be at most " + std::to_string(kMaxQueryChars) + " characters.");
    if (limit < 1)
        throw ApiError::invalid("limit must be an integer from 1 to 100.");
    limit = std::min(limit, kMaxSearchLimit);
    const auto fts = ftsQuery(query);
    if (fts.empty())
        return {};
    // The index is built in batches after commit: what was sent a moment ago is indexed first.
    m_store.refreshSearchIndex();
    return m_store.readResult([&](ReadTx& tx) { return tx.searchMessages(fts, limit); });
}

std::optional<Event> InsightService::typing(const Caller& who, const std::string& conversationId) {
    const auto* agent = std::get_if<AgentIdentity>(&who);
    const std::string sender =
        agent ? "a:" + agent->agentId : "c:" + std::get<CustomerIdentity>(who).sessionId;
    // The rate rule first: a flood of frames costs no store read.
    if (!m_typing.admit(sender, conversationId, m_clock.steadyNow()))
        return std::nullopt;
    const auto c = m_store.readResult([&](ReadTx& tx) { return visible(tx, who, conversationId); });
    if (agent) {
        if (c.status != ConversationStatus::Agent || c.assignedAgentId != agent->agentId)
            throw ApiError::forbidden("Only the agent assigned to this open conversation signals typing.");
        return Event{events::kTyping,
                     json{{"conversation_id", c.id}, {"sender_type", "agent"}, {"agent_id", agent->agentId}},
                     customerSide(c), c.id, 0};
    }
    if (c.status == ConversationStatus::Closed)
        throw closedError();
    return Event{events::kTyping, json{{"conversation_id", c.id}, {"sender_type", "customer"}}, agentSide(c),
                 c.id, 0};
}

} // namespace parley::server
