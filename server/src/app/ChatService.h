#pragma once
// The use cases of Parley, transport-free: the HTTP API and the WebSocket listener both call
// these, and tests can drive them directly. Each state change is one write transaction; the
// domain rules live in domain/ (Lifecycle, AssignmentPolicy, FaqBot) and are applied here.

#include "app/ApiError.h"
#include "app/ErasedCustomers.h"
#include "app/SettingsSection.h"
#include "auth/Identity.h"
#include "auth/TokenSigner.h"
#include "domain/BotSettings.h"
#include "domain/FaqBot.h"
#include "domain/FaqIndex.h"
#include "domain/LoginThrottle.h"
#include "domain/RateLimiter.h"
#include "parley/protocol/Types.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::server {

// The rules of text a person typed (a message, a note, a canned reply's content): ApiError 400
// (invalid_request, empty_message or message_too_long) when it breaks one.
void validateMessageContent(const std::string& content);

struct ChatServiceOptions {
    std::chrono::seconds agentTokenLifetime{12 * 3600};
    RateLimiter::Options customerRate{};
    LoginThrottle::Options loginThrottle{};
};

class ChatService {
public:
    ChatService(Store& store, const TokenSigner& tokens, const Clock& clock, ChatServiceOptions options = {});

    // --- authentication -------------------------------------------------------------------
    // Verifies a bearer token; agents are re-read from the store (deleted agent -> 401) so the
    // returned role is current. Throws ApiError 401.
    Caller authenticate(std::string_view bearerToken) const;
    AgentIdentity requireAgent(const Caller& c) const; // 403 for customers
    AgentIdentity requireAdmin(const Caller& c) const; // 403 for non-admins
    CustomerIdentity requireCustomer(const Caller& c) const;
    // Customer sessions whose tokens are refused (erased by an admin, issue 22); set once at start.
    void setErasedCustomers(const ErasedCustomers* erased) { m_erasedCustomers = erased; }
    // Several nodes (issue 20): another node committed an FAQ or settings change (kSettingsChanged
    // came through the event outbox): what this node caches of them is dropped.
    void settingsChangedElsewhere();
    // The erased customer sessions, read from the store (a node reloads them after its event feed
    // missed some). Throws when the store cannot be read.
    std::vector<std::string> erasedCustomerSessions() const;
    // Several nodes (issue 20): the customer rate limit and the login throttle shared by every node
    // (Redis, --bus) instead of this process's own. Before serving; they must outlive this.
    void setSharedLimits(CustomerRateLimit& customerRate, LoginLimit& loginThrottle) {
        m_customerRateLimit = &customerRate;
        m_loginLimit = &loginThrottle;
    }

    // --- customers ----------------------------------------------------------------------------
    struct NewSession {
        std::string token;
        std::string sessionId;
    };
    NewSession createCustomerSession() const;

    std::vector<protocol::FaqEntry> activeFaq() const;

    struct ConversationWithMessages {
        protocol::Conversation conversation;
        std::vector<protocol::Message> messages;
        bool created = false;
    };
    // context (v1.1) is stored when a new conversation is created.
    ConversationWithMessages openConversation(const CustomerIdentity& who,
                                              const protocol::PageContext& context = {});
    ConversationWithMessages getConversation(const Caller& who, const std::string& id) const;
    std::vector<protocol::Message> messagesAfter(const Caller& who, const std::string& id,
                                                 std::int64_t afterSeq) const;
    // The session's open conversation, if any (for the WebSocket hello).
    std::optional<protocol::Conversation> openConversationOf(const std::string& sessionId) const;

    struct SendRequest {
        std::string content;
        std::optional<std::string> clientMsgId;
        protocol::MessageKind kind = protocol::MessageKind::Text;
        std::optional<std::string> faqSlug;
    };
    struct SendResult {
        protocol::Message message;
        std::vector<protocol::Message> replies;
        bool created = true; // false: an idempotent repeat of client_msg_id
    };
    SendResult sendMessage(const Caller& who, const std::string& conversationId, const SendRequest& req);

    protocol::Conversation handoff(const CustomerIdentity& who, const std::string& conversationId);

    // --- agents -------------------------------------------------------------------------------
    struct LoginResult {
        std::string token;
        protocol::Agent agent;
    };
    LoginResult login(const std::string& username, const std::string& password);
    protocol::Agent setPresence(const AgentIdentity& who, protocol::Presence presence);
    protocol::Agent agent(const std::string& agentId) const; // 404 when unknown
    // The caller's Agent object, read with its session: 401 once that session has ended (the
    // WebSocket hello reads it after subscribing, so an ending it misses is routed to it).
    protocol::Agent agentOfSession(const AgentIdentity& who) const;
    std::vector<protocol::Conversation> myConversations(const AgentIdentity& who) const;
    std::vector<protocol::Conversation> queue() const;
    std::vector<protocol::Agent> agents() const;
    protocol::Conversation close(const AgentIdentity& who, const std::string& conversationId);
    // Issue 19: by the assigned agent or an admin. To an agent (online, enabled, below its maximum,
    // else 409 agent_unavailable), or with no agent back to the queue, served at once with the old
    // agent left out of that pass. A note becomes an internal note, in the same transaction.
    protocol::Conversation transfer(const AgentIdentity& who, const std::string& conversationId,
                                    const std::optional<std::string>& toAgentId,
                                    const std::optional<std::string>& note);

    // Realtime: an agent whose connections have all been gone past the grace period. Marks it
    // offline, unassigns its open conversations (with a system message each) and serves them
    // again; an agent offline by choice loses its chats too. Does nothing to an agent that is
    // offline with no open conversation.
    void markAgentLost(const std::string& agentId);
    std::vector<std::string> onlineAgentIds() const;
    // The agents the grace period applies to: online, or holding an open conversation.
    std::vector<std::string> agentsToWatchIds() const;

    // --- admins -------------------------------------------------------------------------------
    std::vector<protocol::FaqEntry> allFaq() const;
    protocol::FaqEntry createFaq(const protocol::FaqEntry& entry);
    // The fields an edit names; the others keep their stored values. Merged inside the write, so
    // concurrent edits of different fields all survive.
    struct FaqPatch {
        std::optional<std::string> slug;
        std::optional<std::string> question;
        std::optional<std::string> answer;
        std::optional<int> displayOrder;
        std::optional<bool> isActive;
        std::optional<std::string> keywords;
    };
    protocol::FaqEntry updateFaq(const std::string& slug, const FaqPatch& patch);
    void deleteFaq(const std::string& slug);

    // GET/PUT /admin/settings: {"bot":{...}}. updateSettings applies the keys the patch names
    // (each validated by its own rules, ApiError 400 naming the field) and keeps the others.
    nlohmann::json settings() const;
    nlohmann::json updateSettings(const nlohmann::json& patch);
    // Keys owned by another use-case class, read and written in the same transactions. Register
    // before serving; the section must outlive this service.
    void addSettingsSection(SettingsSection& section) { m_settingsSections.push_back(&section); }

    // Idle auto-close (issue 21): closes, like an agent's close, the assigned `agent`
    // conversations whose newest customer-or-agent message is the agent's and was written at or
    // before cutoff, with a system message that says why. The server's own maintenance (never
    // refused by admission). Returns how many it closed.
    int closeIdle(std::chrono::system_clock::time_point cutoff, const std::string& reason);

    // A shopper's data erase (issue 22), inside the erase's transaction and after it: closes the
    // session's open conversation, bot or agent, with a system message (reason "erased"),
    // chat.closed to the shopper and its agent, the agent's load down and the queue served; and
    // ends the session's WebSocket connections (kCustomerSessionEnded), after those events.
    void endErasedCustomerSession(WriteTx& tx, const std::string& sessionId);

    struct NewAgent {
        std::string username;
        std::string displayName;
        std::string password;
        int maxActiveChats = 5;
        protocol::Role role = protocol::Role::Agent;
    };
    protocol::Agent createAgent(const NewAgent& a);
    struct AgentUpdate {
        std::optional<std::string> displayName;
        std::optional<std::string> password;
        std::optional<int> maxActiveChats;
        std::optional<protocol::Role> role;
        std::optional<bool> disabled; // issue 19
    };
    // Disabling an agent ends its sessions, sets it offline and serves its open conversations
    // again from the queue; the last enabled admin cannot be disabled (409 conflict).
    // A new password or a new role ends the agent's sessions (its tokens stop working), except
    // the session `by` used when an agent changes itself.
    protocol::Agent updateAgent(const AgentIdentity& by, const std::string& agentId, const AgentUpdate& u);

    // First start of a data dir: the admin agent and the default FAQ. Returns false when the
    // store already has agents (nothing done).
    bool bootstrap(const std::string& adminPassword);

private:
    // Every write of the use cases goes through these: a store whose write queue is full refuses
    // the write at once, and the client gets 503 overloaded with Retry-After (nothing changed).
    void write(const std::function<void(WriteTx&)>& job, Admission admission = Admission::Bounded);
    template <typename F>
    auto writeResult(F&& f, Admission admission = Admission::Bounded) {
        try {
            return m_store.writeResult(std::forward<F>(f), admission);
        } catch (const StoreOverloaded& e) {
            throw ApiError::overloaded(e.retryAfterSeconds());
        }
    }

    // Ends every session of the agent but keepSessionId: its tokens stop working at once and its
    // connections that said hello with one of them are closed. The one call for every feature
    // that ends an agent's access (password or role change, and later disabling an agent).
    void endAgentSessions(WriteTx& tx, const std::string& agentId,
                          const std::optional<std::string>& keepSessionId);
    // excludeAgentId: an agent that takes nothing in this pass (the one a transfer came from).
    void serveQueue(WriteTx& tx, const std::string& now,
                    const std::optional<std::string>& excludeAgentId = std::nullopt);
    // Unassigns the agent's open conversations, each with a system message `text` (event
    // "unassigned"); the caller serves the queue afterwards.
    void unassignConversationsOf(WriteTx& tx, const AgentRecord& agent, const std::string& text,
                                 const std::string& now);
    void emitQueueChanges(WriteTx& tx, const std::vector<protocol::Conversation>& queueBefore);
    protocol::Conversation visibleConversation(ReadTx& tx, const Caller& who, const std::string& id) const;
    bool botWouldAnswer(const CustomerIdentity& who, const std::string& conversationId) const;

    // What the bot answers from: the FAQ index and the shop's bot texts, built on first use after
    // a change of the FAQ or the settings, then shared by every request.
    struct BotState {
        FaqIndex index;
        BotTexts texts;
    };
    std::shared_ptr<const BotState> botState() const;
    void botChanged();                               // after a committed FAQ or settings write
    static void publishSettingsChanged(WriteTx& tx); // kSettingsChanged, for the other nodes

    Store& m_store;
    const TokenSigner& m_tokens;
    const Clock& m_clock;
    ChatServiceOptions m_options;
    RateLimiter m_customerRate;
    mutable std::mutex m_botMutex;
    mutable std::shared_ptr<const BotState> m_botState;
    std::uint64_t m_botGeneration = 0; // counts changes, so a state built from older data is not kept

    LoginThrottle m_loginThrottle;
    // What the limits are asked: this process's own above, or shared ones (setSharedLimits).
    CustomerRateLimit* m_customerRateLimit = &m_customerRate;
    LoginLimit* m_loginLimit = &m_loginThrottle;
    std::vector<SettingsSection*> m_settingsSections;
    const ErasedCustomers* m_erasedCustomers = nullptr;

    // Conversations seen past `automated` (the lifecycle never goes back), so that a customer's
    // message there needs no snapshot read to know the bot stays silent. Starts over when full.
    static constexpr std::size_t kPastBotLimit = 65536;
    mutable std::mutex m_pastBotMutex;
    mutable std::unordered_set<std::string> m_pastBot;
};

} // namespace parley::server
