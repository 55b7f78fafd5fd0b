#include "app/ChatService.h"

#include "app/AgentsAtWorkService.h"

#include "auth/PasswordHasher.h"
#include "domain/AssignmentPolicy.h"
#include "domain/DefaultFaq.h"
#include "domain/Lifecycle.h"
#include "parley/protocol/Codec.h"
#include "parley/protocol/Events.h"
#include "util/Text.h"

#include <algorithm>
#include <regex>
#include <unordered_map>

namespace parley::server {

using nlohmann::json;
using protocol::Agent;
using protocol::Conversation;
using protocol::ConversationStatus;
using protocol::FaqEntry;
using protocol::Message;
using protocol::MessageKind;
using protocol::Presence;
using protocol::Role;
using protocol::SenderType;
namespace events = protocol::events;
namespace errors = protocol::errors;

namespace {

constexpr const char* kSessionEnded =
    "This sign-in has ended (the password or the role changed, or the agent was disabled). Sign in again.";

// Text a person typed: valid UTF-8 (also guaranteed by the JSON parser), not blank, bounded.
void validateContent(const std::string& content) {
    if (!isValidUtf8(content))
        throw ApiError(400, errors::kInvalidRequest, "content is not valid UTF-8.");
    if (hasControlChars(content, true))
        throw ApiError::invalid(
            "content must not contain control characters other than tabs and line breaks.");
    if (isBlank(content))
        throw ApiError(400, errors::kEmptyMessage, "The message is empty.");
    if (utf8Length(content) > protocol::kMaxMessageChars)
        throw ApiError(400, errors::kMessageTooLong,
                       "The message is longer than " + std::to_string(protocol::kMaxMessageChars) +
                           " characters.");
}

void validateField(const std::string& value, const char* name, std::size_t maxChars,
                   bool allowNewlines = false) {
    if (!isValidUtf8(value))
        throw ApiError::invalid(std::string(name) + " is not valid UTF-8.");
    if (isBlank(value))
        throw ApiError::invalid(std::string(name) + " must not be empty.");
    if (utf8Length(value) > maxChars)
        throw ApiError::invalid(std::string(name) + " must be at most " + std::to_string(maxChars) +
                                " characters.");
    if (!allowNewlines && hasControlChars(value))
        throw ApiError::invalid(std::string(name) + " must not contain control characters.");
    if (allowNewlines && hasControlChars(value, true))
        throw ApiError::invalid(std::string(name) +
                                " must not contain control characters other than tabs and line breaks.");
}

} // namespace

void validateMessageContent(const std::string& content) {
    validateContent(content);
}

namespace {

bool isValidUsername(const std::string& username) {
    return !username.empty() && username.size() <= 64 &&
           std::all_of(username.begin(), username.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
           });
}

void validateSlug(const std::string& slug) {
    static const std::regex re("^[a-z0-9]+(-[a-z0-9]+)*$");
    if (slug.empty() || slug.size() > 64 || !std::regex_match(slug, re))
        throw ApiError::invalid(
            "slug must be 1-64 lower-case letters, digits and single dashes (e.g. \"shipping-times\").");
}

void validateFaq(const FaqEntry& e) {
    validateSlug(e.slug);
    validateField(e.question, "question", 300);
    validateField(e.answer, "answer", 4000, true);
    if (!isValidUtf8(e.keywords) || utf8Length(e.keywords) > protocol::kMaxFaqKeywordsChars)
        throw ApiError::invalid("keywords must be at most " + std::to_string(protocol::kMaxFaqKeywordsChars) +
                                " characters.");
    if (e.displayOrder < -1000000 || e.displayOrder > 1000000)
        throw ApiError::invalid("display_order must be between -1000000 and 1000000.");
}

void validateMaxChats(int max) {
    if (max < 0 || max > protocol::kMaxActiveChatsLimit)
        throw ApiError::invalid("max_active_chats must be an integer from 0 to 100.");
}

void validatePassword(const std::string& password) {
    if (utf8Length(password) < 8 || password.size() > 1024 || !isValidUtf8(password))
        throw ApiError::invalid("password must be 8 to 1024 characters.");
}

// Whether a send repeats the one that stored `first` under the same client_msg_id: the same kind,
// FAQ entry and text (a quick reply without text took its entry's question as its content).
bool isSameSend(const Message& first, const ChatService::SendRequest& req) {
    if (first.kind != req.kind)
        return false;
    if (req.kind == MessageKind::QuickReply) {
        const auto slug = first.metadata.is_object() ? first.metadata.value("faq_slug", "") : std::string();
        if (slug != req.faqSlug.value_or(""))
            return false;
        if (isBlank(req.content))
            return true;
    }
    return first.content == req.content;
}

json agentJson(const AgentRecord& r) {
    return r.agent;
}

Message newMessage(const Conversation& c, SenderType sender, MessageKind kind, std::string content,
                   const std::string& now, json metadata = json::object()) {
    Message m;
    m.id = newTimeOrderedUuid(); // messages are the busiest table: their id index grows at the end
    m.conversationId = c.id;
    m.senderType = sender;
    m.kind = kind;
    m.content = std::move(content);
    m.metadata = std::move(metadata);
    m.createdAt = now;
    return m;
}

// --- event builders: the contract's "who receives it" column, in one place -------------------

void emitMessage(WriteTx& tx, const Conversation& c, const Message& m) {
    Audience a;
    a.customerSessionId = c.customerSessionId;
    if (c.assignedAgentId)
        a.agentIds.push_back(*c.assignedAgentId);
    a.watchersOf = c.id;
    tx.publishAfterCommit(
        Event{events::kMessageCreated, {}, std::move(a), c.id, m.seq, std::make_shared<const Message>(m)});
}

} // namespace

namespace {

// To the customer; and, while it is queued or when it leaves the queue, to every connected agent,
// online or not (issue 19: every console's queue view is live).
void emitConversationUpdated(WriteTx& tx, const Conversation& c, bool concernsQueue) {
    Audience a;
    a.customerSessionId = c.customerSessionId;
    a.allAgents = concernsQueue;
    tx.publishAfterCommit(
        Event{events::kConversationUpdated, json{{"conversation", c}}, std::move(a), c.id, 0});
}

// The number of the next assignment, for the tie-break: the oldest last assignment goes first.
std::int64_t nextAssignmentNo(WriteTx& tx) {
    std::int64_t last = 0;
    for (const auto& r : tx.agents())
        last = std::max(last, r.lastAssignmentNo.value_or(0));
    return last + 1;
}

// Presence and load both live on the Agent object the team view shows.
void emitAgentChanged(WriteTx& tx, const std::string& agentId) {
    if (auto r = tx.agentById(agentId)) {
        Audience a;
        a.allAgents = true;
        tx.publishAfterCommit(
            Event{events::kAgentPresenceChanged, json{{"agent", agentJson(*r)}}, std::move(a), {}, 0});
    }
}

Message appendSystemEvent(WriteTx& tx, Conversation& c, std::string text, json metadata,
                          const std::string& now) {
    auto m = newMessage(c, SenderType::System, MessageKind::Event, std::move(text), now, std::move(metadata));
    tx.appendMessage(m);
    c.updatedAt = m.createdAt;
    emitMessage(tx, c, m);
    return m;
}

} // namespace

ChatService::ChatService(Store& store, const TokenSigner& tokens, const Clock& clock,
                         ChatServiceOptions options)
    : m_store(store)
    , m_tokens(tokens)
    , m_clock(clock)
    , m_options(options)
    , m_customerRate(clock, options.customerRate)
    , m_loginThrottle(clock, options.loginThrottle) {}

// --- authentication ------------------------------------------------------------------------------

Caller ChatService::authenticate(std::string_view bearerToken) const {
    auto verified = m_tokens.verify(bearerToken);
    if (!verified)
        throw ApiError::unauthorized();
    if (auto* agent = std::get_if<AgentIdentity>(&verified->caller)) {
        auto role = m_store.readResult(
            [&](ReadTx& tx) { return tx.agentSessionRole(agent->sessionId, agent->agentId); });
        if (!role)
            throw ApiError::unauthorized(kSessionEnded);
        agent->role = *role;
    } else if (const auto* customer = std::get_if<CustomerIdentity>(&verified->caller);
               m_erasedCustomers && m_erasedCustomers->contains(customer->sessionId)) {
        throw ApiError::unauthorized("This customer session was erased.");
    }
    return verified->caller;
}

AgentIdentity ChatService::requireAgent(const Caller& c) const {
    if (auto* a = std::get_if<AgentIdentity>(&c))
        return *a;
    throw ApiError::forbidden("This needs an agent's token.");
}

AgentIdentity ChatService::requireAdmin(const Caller& c) const {
    auto a = requireAgent(c);
    if (!a.isAdmin())
        throw ApiError::forbidden("This needs an admin's token.");
    return a;
}

CustomerIdentity ChatService::requireCustomer(const Caller& c) const {
    if (auto* cu = std::get_if<CustomerIdentity>(&c))
        return *cu;
    throw ApiError::forbidden("This needs a customer's token.");
}

// --- customers -------------------------------------------------------------------------------------

ChatService::NewSession ChatService::createCustomerSession() const {
    NewSession s;
    s.sessionId = newUuid();
    s.token = m_tokens.issueCustomer(s.sessionId);
    return s;
}

std::vector<FaqEntry> ChatService::activeFaq() const {
    std::vector<FaqEntry> active;
    for (const auto& e : botState()->index.entries())
        if (e.isActive)
            active.push_back(e);
    return active;
}

void ChatService::write(const std::function<void(WriteTx&)>& job, Admission admission) {
    try {
        m_store.write(job, admission);
    } catch (const StoreOverloaded& e) {
        throw ApiError::overloaded(e.retryAfterSeconds());
    }
}

ChatService::ConversationWithMessages ChatService::openConversation(const CustomerIdentity& who,
                                                                    const protocol::PageContext& context) {
    // Fast path without the writer: most calls find the open conversation.
    if (auto existing = m_store.readResult([&](ReadTx& tx) -> std::optional<ConversationWithMessages> {
            auto c = tx.openConversationOfSession(who.sessionId);
            if (!c)
                return std::nullopt;
            return ConversationWithMessages{*c, tx.messages(c->id, 0), false};
        }))
        return *existing;

    const auto bot = botState();
    const auto opening = FaqBot::greeting(bot->index, bot->texts);
    return writeResult([&](WriteTx& tx) {
        // Re-checked inside the writer: two racing calls create one conversation.
        if (auto c = tx.openConversationOfSession(who.sessionId))
            return ConversationWithMessages{*c, tx.messages(c->id, 0), false};
        const auto now = formatRfc3339(m_clock.now());
        Conversation c;
        c.id = newUuid();
        c.customerSessionId = who.sessionId;
        c.status = ConversationStatus::Automated;
        c.createdAt = c.updatedAt = now;
        c.context = context;
        tx.insertConversation(c);
        auto greeting =
            newMessage(c, SenderType::Bot, MessageKind::Text, opening.text, now, opening.metadata);
        tx.appendMessage(greeting);
        c.updatedAt = greeting.createdAt;
        emitMessage(tx, c, greeting);
        return ConversationWithMessages{c, {greeting}, true};
    });
}

Conversation ChatService::visibleConversation(ReadTx& tx, const Caller& who, const std::string& id) const {
    if (!isUuid(id))
        throw ApiError::notFound("No such conversation.");
    auto c = tx.conversation(id);
    // Another session's conversation is indistinguishable from one that does not exist.
    if (!c)
        throw ApiError::notFound("No such conversation.");
    if (auto* cu = std::get_if<CustomerIdentity>(&who); cu && c->customerSessionId != cu->sessionId)
        throw ApiError::notFound("No such conversation.");
    return *c;
}

ChatService::ConversationWithMessages ChatService::getConversation(const Caller& who,
                                                                   const std::string& id) const {
    return m_store.readResult([&](ReadTx& tx) {
        auto c = visibleConversation(tx, who, id);
        return ConversationWithMessages{c, tx.messages(id, 0), false};
    });
}

std::vector<Message> ChatService::messagesAfter(const Caller& who, const std::string& id,
                                                std::int64_t afterSeq) const {
    return m_store.readResult([&](ReadTx& tx) {
        visibleConversation(tx, who, id);
        return tx.messages(id, afterSeq);
    });
}

std::optional<Conversation> ChatService::openConversationOf(const std::string& sessionId) const {
    return m_store.readResult([&](ReadTx& tx) { return tx.openConversationOfSession(sessionId); });
}

ChatService::SendResult ChatService::sendMessage(const Caller& who, const std::string& conversationId,
                                                 const SendRequest& req) {
    const bool isCustomer = std::holds_alternative<CustomerIdentity>(who);
    const bool quickReply = req.kind == MessageKind::QuickReply;
    if (req.kind == MessageKind::Event)
        throw ApiError::invalid("kind must be \"text\" or \"quick_reply\".");
    if (quickReply && !isCustomer)
        throw ApiError::invalid("Only customers send quick replies.");
    if (quickReply && (!req.faqSlug || req.faqSlug->empty()))
        throw ApiError::invalid("A quick reply needs faq_slug.");
    // A quick reply may leave content empty: the entry's question stands in for it.
    if (!quickReply || !isBlank(req.content))
        validateContent(req.content);
    if (req.clientMsgId && (req.clientMsgId->empty() || req.clientMsgId->size() > 128 ||
                            !isValidUtf8(*req.clientMsgId) || hasControlChars(*req.clientMsgId)))
        throw ApiError::invalid("client_msg_id must be 1 to 128 bytes of text without control characters.");

    // Before the writer, without a lock: the quick reply's entry and the bot's answer, both from
    // the cached bot state. The answer is worked out only while the conversation is automated (read
    // on a snapshot); inside the job the conversation's status alone decides whether it is posted.
    std::optional<FaqEntry> quickEntry;
    std::optional<BotReply> botReply;
    std::shared_ptr<const BotState> bot;
    if (isCustomer) {
        bot = botState();
        if (quickReply) {
            for (const auto& e : bot->index.entries())
                if (e.slug == *req.faqSlug && e.isActive)
                    quickEntry = e;
        } else if (botWouldAnswer(std::get<CustomerIdentity>(who), conversationId)) {
            botReply = FaqBot::reply(req.content, bot->index, bot->texts);
        }
    }

    // The idempotency key is (conversation, sender, client_msg_id): the customer and each agent
    // have their own ids. A repeat answers with the first message even once the conversation is
    // closed or the sender is rate-limited (that send did happen); the same key for other content
    // is a client's bug. The key is not looked up before every insert, on the single writer: the
    // unique index refuses a repeat (DuplicateClientMsgId) and the send runs again, looking it up
    // first; a refusal looks it up before it answers. So only a repeat pays for the lookup (and,
    // when it is not refused otherwise, takes a token from the customer's rate limit, as the new
    // message it might have been would have).
    const auto* agent = std::get_if<AgentIdentity>(&who);
    // A shared rate limit (Redis, in a cluster) is asked before the writer, not in its job: a round
    // trip there would hold the node's one writer for every job of the group, and stall it while
    // Redis does not answer. So there a send refused later (a 503 too) has spent its token; the
    // in-process limit is asked in the job, after admission and the closed check.
    std::optional<std::optional<int>> askedBefore;
    if (isCustomer && m_customerRateLimit->isRemote())
        askedBefore = m_customerRateLimit->tryConsume(std::get<CustomerIdentity>(who).sessionId);
    const auto send = [&](bool lookUpFirst) {
        return writeResult([&](WriteTx& tx) {
            auto c = visibleConversation(tx, who, conversationId);
            const auto firstSend = [&]() -> std::optional<SendResult> {
                if (!req.clientMsgId)
                    return std::nullopt;
                auto first = tx.messageByClientId(c.id, agent ? SenderType::Agent : SenderType::Customer,
                                                  agent ? agent->agentId : std::string(), *req.clientMsgId);
                if (!first)
                    return std::nullopt;
                if (!isSameSend(*first, req))
                    throw ApiError::conflict(
                        "This client_msg_id was already used for a different message in this "
                        "conversation. Use a new client_msg_id for a new message.");
                return SendResult{*first, {}, false};
            };
            if (lookUpFirst)
                if (auto repeat = firstSend())
                    return *repeat;
            const auto refuse = [&](ApiError error) -> SendResult {
                if (!lookUpFirst)
                    if (auto repeat = firstSend())
                        return *repeat;
                throw error;
            };
            if (c.status == ConversationStatus::Closed)
                return refuse(ApiError(409, errors::kConversationClosed, "This conversation is closed."));

            const auto now = formatRfc3339(m_clock.now());
            Message m;
            if (isCustomer) {
                if (quickReply && !quickEntry)
                    return refuse(ApiError::notFound("No such FAQ entry."));
                if (auto wait =
                        askedBefore ? *askedBefore : m_customerRateLimit->tryConsume(c.customerSessionId))
                    return refuse(ApiError(429, errors::kRateLimited,
                                           "You're sending messages too fast. Please wait a moment.", *wait));
                const auto content = isBlank(req.content) && quickEntry ? quickEntry->question : req.content;
                m = newMessage(c, SenderType::Customer, req.kind, content, now,
                               quickEntry ? json{{"faq_slug", quickEntry->slug}} : json::object());
            } else {
                if (c.assignedAgentId != agent->agentId)
                    return refuse(
                        ApiError::forbidden("Only the agent assigned to this conversation can write in it."));
                m = newMessage(c, SenderType::Agent, MessageKind::Text, req.content, now);
                m.senderAgentId = agent->agentId;
                // Reply mail (issue 21, mail21): the shopper left an address, so this reply may owe it
                // a mail if it goes unread; marked here, in the reply's own transaction.
                if (c.contact)
                    tx.watchReplyMail(c.id, now);
            }
            m.clientMsgId = req.clientMsgId;
            tx.appendMessage(m);
            emitMessage(tx, c, m);

            SendResult result{m, {}, true};
            if (isCustomer && lifecycle::botAnswers(c.status)) {
                // The snapshot saw it automated, as the writer does now (a conversation never goes back
                // to automated). Worked out here only if that snapshot could not be read.
                if (!quickEntry && !botReply)
                    botReply = FaqBot::reply(m.content, bot->index, bot->texts);
                const BotReply answer = quickEntry ? FaqBot::answer(*quickEntry) : *botReply;
                Message reply =
                    newMessage(c, SenderType::Bot, MessageKind::Text, answer.text, now, answer.metadata);
                tx.appendMessage(reply);
                emitMessage(tx, c, reply);
                result.replies.push_back(reply);
            }
            return result;
        });
    };
    try {
        return send(false);
    } catch (const DuplicateClientMsgId&) {
        return send(true); // a repeat: answered with the first send
    }
}

// Whether the bot would answer a message in the conversation now: it exists, is the customer's
// own and is automated. A snapshot read, off the writer, unless the conversation is already known
// to be past the bot.
bool ChatService::botWouldAnswer(const CustomerIdentity& who, const std::string& conversationId) const {
    if (!isUuid(conversationId))
        return false;
    {
        std::lock_guard lock(m_pastBotMutex);
        if (m_pastBot.count(conversationId))
            return false;
    }
    const auto status = m_store.readResult([&](ReadTx& tx) -> std::optional<ConversationStatus> {
        const auto c = tx.conversation(conversationId);
        if (!c || c->customerSessionId != who.sessionId)
            return std::nullopt;
        return c->status;
    });
    if (status && !lifecycle::botAnswers(*status)) {
        std::lock_guard lock(m_pastBotMutex);
        if (m_pastBot.size() >= kPastBotLimit)
            m_pastBot.clear();
        m_pastBot.insert(conversationId);
    }
    return status && lifecycle::botAnswers(*status);
}

Conversation ChatService::handoff(const CustomerIdentity& who, const std::string& conversationId) {
    return writeResult([&](WriteTx& tx) {
        auto c = visibleConversation(tx, Caller{who}, conversationId);
        if (c.status == ConversationStatus::Closed)
            throw ApiError(409, errors::kConversationClosed, "This conversation is closed.");
        if (c.status == ConversationStatus::Agent)
            return c; // idempotent: the first handoff did everything
        const auto queueBefore = tx.queue();
        const auto now = formatRfc3339(m_clock.now());
        c.status = ConversationStatus::Agent;
        c.requestedAgentAt = now;
        c.updatedAt = now;
        tx.updateConversation(c);
        serveQueue(tx, now);
        c = *tx.conversation(c.id);
        if (c.isQueued()) {
            appendSystemEvent(tx, c, protocol::kQueuedMessage, {{"event", "queued"}}, now);
            c = *tx.conversation(c.id);
        }
        emitQueueChanges(tx, queueBefore);
        return c;
    });
}

// --- assignment ------------------------------------------------------------------------------------

void ChatService::serveQueue(WriteTx& tx, const std::string& now,
                             const std::optional<std::string>& excludeAgentId) {
    auto waiting = tx.queue();
    if (waiting.empty())
        return;
    auto records = tx.agents();
    std::vector<AssignmentCandidate> candidates;
    std::int64_t lastNo = 0;
    for (const auto& r : records) {
        const bool takes =
            r.agent.presence == Presence::Online && !r.agent.disabled && r.agent.id != excludeAgentId;
        candidates.push_back(
            {r.agent.id, takes, r.agent.activeChats, r.agent.maxActiveChats, r.lastAssignmentNo});
        lastNo = std::max(lastNo, r.lastAssignmentNo.value_or(0));
    }
    for (auto& c : waiting) {
        const auto chosen = AssignmentPolicy::choose(candidates);
        if (!chosen)
            break;
        auto& record = records[*chosen];
        record.lastAssignmentNo = ++lastNo;
        record.updatedAt = now;
        tx.updateAgent(record);
        candidates[*chosen].activeChats++;
        candidates[*chosen].lastAssignmentNo = lastNo;

        c.assignedAgentId = record.agent.id;
        c.queuePosition.reset();
        c.updatedAt = now;
        tx.updateConversation(c);
        appendSystemEvent(tx, c, record.agent.displayName + " joined the conversation.",
                          {{"event", "assigned"},
                           {"agent_id", record.agent.id},
                           {"agent_display_name", record.agent.displayName}},
                          now);
        const auto fresh = *tx.conversation(c.id);
        const auto agentNow = *tx.agentById(record.agent.id);
        Audience both;
        both.customerSessionId = c.customerSessionId;
        both.agentIds = {record.agent.id};
        tx.publishAfterCommit(Event{events::kAgentAssigned,
                                    json{{"conversation", fresh}, {"agent", agentJson(agentNow)}}, both, c.id,
                                    0});
        emitConversationUpdated(tx, fresh, true); // it leaves the queue
        emitAgentChanged(tx, record.agent.id);    // its load changed
    }
}

// Every conversation still waiting whose place changed (or that just joined) hears its new place.
// One read of the queue, and nothing else when it is empty.
void ChatService::emitQueueChanges(WriteTx& tx, const std::vector<Conversation>& queueBefore) {
    const auto queue = tx.queue();
    if (queue.empty())
        return;
    std::unordered_map<std::string, int> before;
    for (const auto& c : queueBefore)
        before.emplace(c.id, c.queuePosition.value_or(0));
    for (const auto& c : queue) {
        auto it = before.find(c.id);
        if (it == before.end() || it->second != c.queuePosition.value_or(0))
            emitConversationUpdated(tx, c, true);
    }
}

// --- agents ----------------------------------------------------------------------------------------

ChatService::LoginResult ChatService::login(const std::string& username, const std::string& password) {
    // No agent can have such a name (see createAgent), so nothing is learnt from a quick answer,
    // and the throttle keeps no record of names of any length.
    if (!isValidUsername(username))
        throw ApiError::unauthorized("Wrong username or password.");
    if (const auto wait = m_loginLimit->lockedFor(username))
        throw ApiError(429, errors::kRateLimited, "Too many failed sign-ins for this user. Try again later.",
                       *wait);
    auto record = m_store.readResult([&](ReadTx& tx) { return tx.agentByUsername(username); });
    // Hash even for an unknown user, so timing does not reveal which usernames exist.
    static const std::string dummy = passwords::hash("parley-dummy-password");
    const bool ok = passwords::verify(password, record ? record->passwordHash : dummy) && record;
    if (!ok) {
        m_loginLimit->failed(username, record.has_value());
        throw ApiError::unauthorized("Wrong username or password.");
    }
    m_loginLimit->succeeded(username);
    if (record->agent.disabled)
        throw ApiError::unauthorized("This agent has been disabled. Ask an admin.");
    const auto now = m_clock.now();
    const auto expires = now + m_options.agentTokenLifetime;
    const auto expiresAt =
        std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
    const auto sessionId = newUuid();
    write([&](WriteTx& tx) {
        const auto current = tx.agentById(record->agent.id);
        if (!current)
            throw ApiError::unauthorized("Wrong username or password.");
        if (current->agent.disabled) // disabled since the read above
            throw ApiError::unauthorized("This agent has been disabled. Ask an admin.");
        tx.deleteExpiredAgentSessions(
            record->agent.id,
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
        tx.insertAgentSession(sessionId, record->agent.id, formatRfc3339(now), expiresAt);
    });
    return {m_tokens.issueAgent(record->agent.id, sessionId, expires), record->agent};
}

Agent ChatService::setPresence(const AgentIdentity& who, Presence presence) {
    return writeResult([&](WriteTx& tx) {
        auto record = tx.agentById(who.agentId);
        if (!record)
            throw ApiError::unauthorized("This agent no longer exists.");
        if (record->agent.presence == presence)
            return record->agent;
        const auto queueBefore = tx.queue();
        const auto now = formatRfc3339(m_clock.now());
        record->agent.presence = presence;
        record->updatedAt = now;
        tx.updateAgent(*record);
        emitAgentChanged(tx, who.agentId);
        // Going offline by choice keeps the agent's chats; it only stops new ones.
        if (presence == Presence::Online) {
            // It now receives the queue's updates: tell it what is waiting.
            for (const auto& c : queueBefore) {
                Audience a;
                a.agentIds = {who.agentId};
                tx.publishAfterCommit(
                    Event{events::kConversationUpdated, json{{"conversation", c}}, a, c.id, 0});
            }
            serveQueue(tx, now);
            emitQueueChanges(tx, queueBefore);
        }
        return tx.agentById(who.agentId)->agent;
    });
}

Agent ChatService::agent(const std::string& agentId) const {
    auto r = m_store.readResult([&](ReadTx& tx) { return tx.agentById(agentId); });
    if (!r)
        throw ApiError::notFound("No such agent.");
    return r->agent;
}

Agent ChatService::agentOfSession(const AgentIdentity& who) const {
    auto r = m_store.readResult([&](ReadTx& tx) -> std::optional<AgentRecord> {
        if (!tx.agentSessionRole(who.sessionId, who.agentId))
            return std::nullopt;
        return tx.agentById(who.agentId);
    });
    if (!r)
        throw ApiError::unauthorized(kSessionEnded);
    return r->agent;
}

std::vector<Conversation> ChatService::myConversations(const AgentIdentity& who) const {
    return m_store.readResult([&](ReadTx& tx) { return tx.conversationsAssignedTo(who.agentId); });
}

std::vector<Conversation> ChatService::queue() const {
    return m_store.readResult([](ReadTx& tx) { return tx.queue(); });
}

std::vector<Agent> ChatService::agents() const {
    return m_store.readResult([](ReadTx& tx) {
        std::vector<Agent> out;
        for (auto& r : tx.agents())
            out.push_back(std::move(r.agent));
        return out;
    });
}

Conversation ChatService::close(const AgentIdentity& who, const std::string& conversationId) {
    return writeResult([&](WriteTx& tx) {
        auto c = visibleConversation(tx, Caller{who}, conversationId);
        if (!who.isAdmin() && c.assignedAgentId != who.agentId)
            throw ApiError::forbidden("Only the assigned agent or an admin can close this conversation.");
        if (c.status == ConversationStatus::Closed)
            throw ApiError(409, errors::kInvalidTransition, "This conversation is already closed.");
        if (!lifecycle::canTransition(c.status, ConversationStatus::Closed))
            throw ApiError(409, errors::kInvalidTransition,
                           "Only a conversation with an agent can be closed.");
        const auto queueBefore = tx.queue();
        const bool wasQueued = c.isQueued();
        const auto now = formatRfc3339(m_clock.now());
        const auto closer = tx.agentById(who.agentId);
        c.status = ConversationStatus::Closed;
        c.closedAt = now;
        c.updatedAt = now;
        c.queuePosition.reset();
        tx.updateConversation(c);
        const auto name = closer ? closer->agent.displayName : std::string("an agent");
        appendSystemEvent(tx, c, "Conversation closed by " + name + ".",
                          {{"event", "closed"}, {"agent_id", who.agentId}, {"agent_display_name", name}},
                          now);
        const auto fresh = *tx.conversation(c.id);
        Audience both;
        both.customerSessionId = c.customerSessionId;
        if (c.assignedAgentId)
            both.agentIds = {*c.assignedAgentId};
        if (c.assignedAgentId != who.agentId)
            both.agentIds.push_back(who.agentId);
        tx.publishAfterCommit(Event{events::kChatClosed, json{{"conversation", fresh}}, both, c.id, 0});
        if (wasQueued)
            emitConversationUpdated(tx, fresh, true);
        if (c.assignedAgentId)
            emitAgentChanged(tx, *c.assignedAgentId);
        serveQueue(tx, now);
        emitQueueChanges(tx, queueBefore);
        return fresh;
    });
}

int ChatService::closeIdle(std::chrono::system_clock::time_point cutoff, const std::string& reason) {
    // Found and closed in one transaction: a customer message committed before it keeps its chat
    // open, one after it finds the chat closed. Bounded per call; the caller calls again.
    constexpr int kBatch = 100;
    int closed = 0;
    m_store.write(
        [&](WriteTx& tx) {
            closed = 0;
            const auto ids = tx.idleConversationIds(formatRfc3339(cutoff), kBatch);
            if (ids.empty())
                return;
            const auto queueBefore = tx.queue();
            const auto now = formatRfc3339(m_clock.now());
            for (const auto& id : ids) {
                auto c = *tx.conversation(id);
                const auto agentId = c.assignedAgentId.value_or("");
                const auto agent = tx.agentById(agentId);
                const auto name = agent ? agent->agent.displayName : std::string("an agent");
                c.status = ConversationStatus::Closed;
                c.closedAt = now;
                c.updatedAt = now;
                c.queuePosition.reset();
                tx.updateConversation(c);
                appendSystemEvent(tx, c, reason,
                                  {{"event", "closed"},
                                   {"reason", "idle"},
                                   {"agent_id", agentId},
                                   {"agent_display_name", name}},
                                  now);
                const auto fresh = *tx.conversation(c.id);
                Audience both;
                both.customerSessionId = c.customerSessionId;
                both.agentIds = {agentId};
                tx.publishAfterCommit(
                    Event{events::kChatClosed, json{{"conversation", fresh}}, both, c.id, 0});
                emitAgentChanged(tx, agentId);
                ++closed;
            }
            serveQueue(tx, now);
            emitQueueChanges(tx, queueBefore);
        },
        Admission::Always);
    return closed;
}

void ChatService::endErasedCustomerSession(WriteTx& tx, const std::string& sessionId) {
    if (auto open = tx.openConversationOfSession(sessionId)) {
        // Not a lifecycle step a person can take (a bot chat is never closed by an agent): the
        // shopper is gone for good, so nothing of its chat may stay open.
        auto c = *open;
        const auto queueBefore = tx.queue();
        const bool wasQueued = c.isQueued();
        const auto now = formatRfc3339(m_clock.now());
        c.status = ConversationStatus::Closed;
        c.closedAt = now;
        c.updatedAt = now;
        c.queuePosition.reset();
        tx.updateConversation(c);
        appendSystemEvent(tx, c, "Conversation closed: the shopper's data was erased.",
                          {{"event", "closed"}, {"reason", "erased"}}, now);
        const auto fresh = *tx.conversation(c.id);
        Audience both;
        both.customerSessionId = c.customerSessionId;
        if (c.assignedAgentId)
            both.agentIds = {*c.assignedAgentId};
        tx.publishAfterCommit(Event{events::kChatClosed, json{{"conversation", fresh}}, both, c.id, 0});
        if (wasQueued)
            emitConversationUpdated(tx, fresh, true);
        if (c.assignedAgentId) {
            emitAgentChanged(tx, *c.assignedAgentId);
            serveQueue(tx, now);
        }
        emitQueueChanges(tx, queueBefore);
    }
    Audience shopper;
    shopper.customerSessionId = sessionId;
    tx.publishAfterCommit(
        Event{kCustomerSessionEnded, json{{"customer_session_id", sessionId}}, std::move(shopper), {}, 0});
}

Conversation ChatService::transfer(const AgentIdentity& who, const std::string& conversationId,
                                   const std::optional<std::string>& toAgentId,
                                   const std::optional<std::string>& note) {
    if (note)
        validateContent(*note);
    return writeResult([&](WriteTx& tx) {
        auto c = visibleConversation(tx, Caller{who}, conversationId);
        if (!who.isAdmin() && c.assignedAgentId != who.agentId)
            throw ApiError::forbidden("Only the assigned agent or an admin can transfer this conversation.");
        if (c.status == ConversationStatus::Closed)
            throw ApiError(409, errors::kConversationClosed, "This conversation is closed.");
        if (c.status != ConversationStatus::Agent)
            throw ApiError(409, errors::kInvalidTransition,
                           "Only a conversation that asked for an agent can be transferred.");
        const auto by = tx.agentById(who.agentId);
        const auto byName = by ? by->agent.displayName : std::string("an agent");
        const auto from = c.assignedAgentId;
        const auto fromRecord = from ? tx.agentById(*from) : std::nullopt;
        const auto queueBefore = tx.queue();
        const bool wasQueued = c.isQueued();
        const auto now = formatRfc3339(m_clock.now());

        if (toAgentId) {
            auto target = isUuid(*toAgentId) ? tx.agentById(*toAgentId) : std::nullopt;
            if (!target)
                throw ApiError::notFound("No such agent.");
            if (from == target->agent.id)
                throw ApiError::invalid("This conversation is already assigned to that agent.");
            // Checked in the writer, so concurrent transfers never take an agent past its maximum.
            if (target->agent.disabled || target->agent.presence != Presence::Online ||
                target->agent.activeChats >= target->agent.maxActiveChats)
                throw ApiError(409, errors::kAgentUnavailable,
                               target->agent.displayName +
                                   " is not online or has no room for another conversation.");
            // A transfer is an assignment: the target's turn in the tie-break moves as in serveQueue.
            target->lastAssignmentNo = nextAssignmentNo(tx);
            target->updatedAt = now;
            tx.updateAgent(*target);
            c.assignedAgentId = target->agent.id;
            c.queuePosition.reset();
            c.updatedAt = now;
            tx.updateConversation(c);
            appendSystemEvent(tx, c,
                              byName + " transferred the conversation to " + target->agent.displayName + ".",
                              {{"event", "transferred"},
                               {"agent_id", target->agent.id},
                               {"agent_display_name", target->agent.displayName},
                               {"from_agent_id", from ? json(*from) : json(nullptr)},
                               {"by_agent_id", who.agentId}},
                              now);
            const auto fresh = *tx.conversation(c.id);
            Audience both;
            both.customerSessionId = c.customerSessionId;
            both.agentIds = {target->agent.id};
            tx.publishAfterCommit(
                Event{events::kAgentAssigned,
                      json{{"conversation", fresh}, {"agent", agentJson(*tx.agentById(target->agent.id))}},
                      both, c.id, 0});
            if (from) {
                Audience old;
                old.agentIds = {*from};
                tx.publishAfterCommit(
                    Event{events::kConversationUpdated, json{{"conversation", fresh}}, old, c.id, 0});
                emitAgentChanged(tx, *from);
            }
            if (wasQueued)
                emitConversationUpdated(tx, fresh, true); // it leaves the queue
            emitAgentChanged(tx, target->agent.id);
            if (note)
                appendNote(tx, fresh, who.agentId, byName, *note, now);
            if (from) // the old agent has room again
                serveQueue(tx, now);
            emitQueueChanges(tx, queueBefore);
            return fresh;
        }

        if (wasQueued) { // already waiting: nothing to do but keep the note
            if (note)
                appendNote(tx, c, who.agentId, byName, *note, now);
            return c;
        }
        const auto fromName = fromRecord ? fromRecord->agent.displayName : std::string("an agent");
        c.assignedAgentId.reset();
        c.updatedAt = now;
        tx.updateConversation(c);
        appendSystemEvent(tx, c,
                          byName + " transferred the conversation. You are back in the queue; the next free "
                                   "agent will take over.",
                          {{"event", "unassigned"},
                           {"agent_id", from ? json(*from) : json(nullptr)},
                           {"agent_display_name", fromName},
                           {"by_agent_id", who.agentId}},
                          now);
        if (from)
            emitAgentChanged(tx, *from);
        // The old agent sits this pass out; every connected agent hears the queue change (the old
        // one included), whether the conversation waits or is served at once.
        serveQueue(tx, now, from);
        emitQueueChanges(tx, queueBefore);
        const auto fresh = *tx.conversation(c.id);
        if (note)
            appendNote(tx, fresh, who.agentId, byName, *note, now);
        return fresh;
    });
}

void ChatService::markAgentLost(const std::string& agentId) {
    // The server's own maintenance, not a client's request: admission never refuses it (nobody
    // would retry it, and the lost agent's conversations would wait for an absent agent).
    m_store.write(
        [&](WriteTx& tx) {
            auto record = tx.agentById(agentId);
            // Offline by choice keeps an agent's chats while it is there to answer them; gone
            // past the grace period, nobody would.
            if (!record || (record->agent.presence == Presence::Offline && record->agent.activeChats == 0))
                return;
            const auto queueBefore = tx.queue();
            const auto now = formatRfc3339(m_clock.now());
            if (record->agent.presence != Presence::Offline) {
                record->agent.presence = Presence::Offline;
                record->updatedAt = now;
                tx.updateAgent(*record);
            }
            unassignConversationsOf(tx, *record,
                                    record->agent.displayName + " lost the connection. You are back in the "
                                                                "queue; the next free agent will take over.",
                                    now);
            emitAgentChanged(tx, agentId);
            serveQueue(tx, now);
            emitQueueChanges(tx, queueBefore);
        },
        Admission::Always);
}

void ChatService::unassignConversationsOf(WriteTx& tx, const AgentRecord& agent, const std::string& text,
                                          const std::string& now) {
    for (auto c : tx.conversationsAssignedTo(agent.agent.id)) {
        c.assignedAgentId.reset();
        c.updatedAt = now;
        tx.updateConversation(c);
        appendSystemEvent(tx, c, text,
                          {{"event", "unassigned"},
                           {"agent_id", agent.agent.id},
                           {"agent_display_name", agent.agent.displayName}},
                          now);
    }
}

std::vector<std::string> ChatService::onlineAgentIds() const {
    return m_store.readResult([](ReadTx& tx) { return tx.onlineAgentIds(); });
}

std::vector<std::string> ChatService::agentsToWatchIds() const {
    return m_store.readResult([](ReadTx& tx) {
        std::vector<std::string> ids;
        for (const auto& r : tx.agents())
            if (!r.agent.disabled && (r.agent.presence == Presence::Online || r.agent.activeChats > 0))
                ids.push_back(r.agent.id);
        return ids;
    });
}

// --- admins ----------------------------------------------------------------------------------------

std::vector<FaqEntry> ChatService::allFaq() const {
    return m_store.readResult([](ReadTx& tx) { return tx.faq(false); });
}

FaqEntry ChatService::createFaq(const FaqEntry& entry) {
    validateFaq(entry);
    write([&](WriteTx& tx) {
        if (tx.faqEntry(entry.slug))
            throw ApiError::conflict("An FAQ entry with slug \"" + entry.slug + "\" already exists.");
        tx.insertFaq(entry, formatRfc3339(m_clock.now()));
        publishSettingsChanged(tx);
    });
    botChanged();
    return entry;
}

FaqEntry ChatService::updateFaq(const std::string& slug, const FaqPatch& patch) {
    auto updated = writeResult([&](WriteTx& tx) {
        auto entry = tx.faqEntry(slug);
        if (!entry)
            throw ApiError::notFound("No such FAQ entry.");
        if (patch.slug)
            entry->slug = *patch.slug;
        if (patch.question)
            entry->question = *patch.question;
        if (patch.answer)
            entry->answer = *patch.answer;
        if (patch.displayOrder)
            entry->displayOrder = *patch.displayOrder;
        if (patch.isActive)
            entry->isActive = *patch.isActive;
        if (patch.keywords)
            entry->keywords = *patch.keywords;
        validateFaq(*entry);
        if (entry->slug != slug && tx.faqEntry(entry->slug))
            throw ApiError::conflict("An FAQ entry with slug \"" + entry->slug + "\" already exists.");
        tx.updateFaq(slug, *entry, formatRfc3339(m_clock.now()));
        publishSettingsChanged(tx);
        return *entry;
    });
    botChanged();
    return updated;
}

void ChatService::deleteFaq(const std::string& slug) {
    write([&](WriteTx& tx) {
        if (!tx.deleteFaq(slug))
            throw ApiError::notFound("No such FAQ entry.");
        publishSettingsChanged(tx);
    });
    botChanged();
}

// --- settings: one JSON document per key, each key validated by its own rules -----------------

namespace {

json storedSetting(ReadTx& tx, const std::string& key) {
    const auto text = tx.setting(key);
    auto value = text ? json::parse(*text, nullptr, false) : json::object();
    return value.is_discarded() ? json::object() : value;
}

} // namespace

json ChatService::settings() const {
    return m_store.readResult([this](ReadTx& tx) {
        json out{{"bot", BotSettings::fromOverrides(storedSetting(tx, "bot")).toJson()}};
        for (const auto* section : m_settingsSections)
            section->read(tx, out);
        return out;
    });
}

json ChatService::updateSettings(const json& patch) {
    if (!patch.is_object())
        throw ApiError::invalid("The settings must be a JSON object.");
    const auto result = writeResult([&](WriteTx& tx) {
        // Unknown keys are ignored, as every unknown request field is.
        if (auto bot = patch.find("bot"); bot != patch.end()) {
            json merged;
            try {
                merged = BotSettings::mergeOverrides(storedSetting(tx, "bot"), *bot);
            } catch (const std::invalid_argument& e) {
                throw ApiError::invalid(e.what());
            }
            tx.putSetting("bot", merged.dump(), formatRfc3339(m_clock.now()));
        }
        const auto now = formatRfc3339(m_clock.now());
        for (auto* section : m_settingsSections)
            section->apply(tx, patch, now);
        publishSettingsChanged(tx);
        json out{{"bot", BotSettings::fromOverrides(storedSetting(tx, "bot")).toJson()}};
        for (const auto* section : m_settingsSections)
            section->read(tx, out);
        return out;
    });
    botChanged();
    for (auto* section : m_settingsSections)
        section->committed();
    return result;
}

std::shared_ptr<const ChatService::BotState> ChatService::botState() const {
    std::uint64_t generation;
    {
        std::lock_guard lock(m_botMutex);
        if (m_botState)
            return m_botState;
        generation = m_botGeneration;
    }
    auto built = m_store.readResult([](ReadTx& tx) {
        const auto settings = BotSettings::fromOverrides(storedSetting(tx, "bot"));
        return std::make_shared<const BotState>(
            BotState{FaqIndex(tx.faq(false), settings.language), settings.texts});
    });
    std::lock_guard lock(m_botMutex);
    if (generation == m_botGeneration)
        m_botState = built;
    return built;
}

// Several nodes (issue 20): the other nodes hear of the change through the event outbox, with the
// change's own commit, and call settingsChangedElsewhere(). Nobody receives the event itself.
void ChatService::publishSettingsChanged(WriteTx& tx) {
    tx.publishAfterCommit(Event{kSettingsChanged, json::object(), Audience{}, {}, 0});
}

void ChatService::settingsChangedElsewhere() {
    botChanged();
    for (auto* section : m_settingsSections)
        section->committed();
}

std::vector<std::string> ChatService::erasedCustomerSessions() const {
    return m_store.readResult([](ReadTx& tx) { return tx.erasedCustomerSessions(); });
}

void ChatService::botChanged() {
    std::lock_guard lock(m_botMutex);
    ++m_botGeneration;
    m_botState.reset();
}

Agent ChatService::createAgent(const NewAgent& a) {
    if (!isValidUsername(a.username))
        throw ApiError::invalid("username must be 1-64 letters, digits, dots, dashes or underscores.");
    validateField(a.displayName, "display_name", 100);
    validatePassword(a.password);
    validateMaxChats(a.maxActiveChats);
    const auto hash = passwords::hash(a.password); // slow: outside the writer
    return writeResult([&](WriteTx& tx) {
        if (tx.agentByUsername(a.username))
            throw ApiError::conflict("An agent with username \"" + a.username + "\" already exists.");
        const auto now = formatRfc3339(m_clock.now());
        AgentRecord r;
        r.agent =
            Agent{newUuid(), a.username, trim(a.displayName), a.role, Presence::Offline, a.maxActiveChats,
                  0,         false};
        r.passwordHash = hash;
        r.createdAt = r.updatedAt = now;
        tx.insertAgent(r);
        emitAgentChanged(tx, r.agent.id);
        return r.agent;
    });
}

void ChatService::endAgentSessions(WriteTx& tx, const std::string& agentId,
                                   const std::optional<std::string>& keepSessionId) {
    tx.deleteAgentSessions(agentId, keepSessionId);
    Audience a;
    a.agentIds = {agentId};
    tx.publishAfterCommit(
        Event{kAgentSessionsEnded,
              json{{"agent_id", agentId},
                   {"keep_session_id", keepSessionId ? json(*keepSessionId) : json(nullptr)}},
              std::move(a),
              {},
              0});
}

Agent ChatService::updateAgent(const AgentIdentity& by, const std::string& agentId, const AgentUpdate& u) {
    if (u.displayName)
        validateField(*u.displayName, "display_name", 100);
    if (u.password)
        validatePassword(*u.password);
    if (u.maxActiveChats)
        validateMaxChats(*u.maxActiveChats);
    const auto hash = u.password ? std::optional(passwords::hash(*u.password)) : std::nullopt;
    return writeResult([&](WriteTx& tx) {
        auto record = isUuid(agentId) ? tx.agentById(agentId) : std::nullopt;
        if (!record)
            throw ApiError::notFound("No such agent.");
        const bool disabling = u.disabled && *u.disabled && !record->agent.disabled;
        const bool demoting = u.role && *u.role != Role::Admin;
        // Some enabled admin must remain: a disabled admin cannot sign in to administer anything.
        if ((demoting || disabling) && record->agent.role == Role::Admin && !record->agent.disabled) {
            const auto all = tx.agents();
            const auto otherAdmins = std::count_if(all.begin(), all.end(), [&](auto& r) {
                return r.agent.role == Role::Admin && !r.agent.disabled && r.agent.id != agentId;
            });
            if (otherAdmins == 0)
                throw ApiError::conflict(disabling ? "The last admin cannot be disabled."
                                                   : "The last admin cannot lose the admin role.");
        }
        const auto queueBefore = tx.queue();
        const auto now = formatRfc3339(m_clock.now());
        const bool raised = u.maxActiveChats && *u.maxActiveChats > record->agent.maxActiveChats;
        // Contract v1.1: a password or role change ends the agent's other tokens; the caller keeps
        // the one it used when it changes itself (its role is re-read on every request anyway).
        if (disabling)
            endAgentSessions(tx, agentId, std::nullopt); // every token, the caller's own included
        else if (hash || (u.role && *u.role != record->agent.role))
            endAgentSessions(tx, agentId, by.agentId == agentId ? std::optional(by.sessionId) : std::nullopt);
        if (u.displayName)
            record->agent.displayName = trim(*u.displayName);
        if (hash)
            record->passwordHash = *hash;
        if (u.maxActiveChats)
            record->agent.maxActiveChats = *u.maxActiveChats;
        if (u.role)
            record->agent.role = *u.role;
        if (u.disabled)
            record->agent.disabled = *u.disabled;
        if (disabling)
            record->agent.presence = Presence::Offline;
        record->updatedAt = now;
        tx.updateAgent(*record);
        if (disabling)
            unassignConversationsOf(tx, *record,
                                    record->agent.displayName +
                                        " is no longer available. You are back in the queue; the next free "
                                        "agent will take over.",
                                    now);
        emitAgentChanged(tx, agentId);
        // A raised maximum is capacity appearing: serve the queue at once. A lowered one unassigns
        // nothing. A disabled agent's conversations are waiting again: serve them.
        if (raised || disabling) {
            serveQueue(tx, now);
            emitQueueChanges(tx, queueBefore);
        }
        return tx.agentById(agentId)->agent;
    });
}

bool ChatService::bootstrap(const std::string& adminPassword) {
    const auto hash = passwords::hash(adminPassword);
    const bool created = m_store.writeResult(
        [&](WriteTx& tx) {
            if (!tx.agents().empty())
                return false;
            const auto now = formatRfc3339(m_clock.now());
            AgentRecord admin;
            admin.agent =
                Agent{newUuid(), "admin", "Administrator", Role::Admin, Presence::Offline, 5, 0, false};
            admin.passwordHash = hash;
            admin.createdAt = admin.updatedAt = now;
            tx.insertAgent(admin);
            if (tx.faq(false).empty())
                for (const auto& e : defaultFaq())
                    tx.insertFaq(e, now);
            return true;
        },
        Admission::Always); // start-up, before any client
    botChanged();
    return created;
}

} // namespace parley::server
