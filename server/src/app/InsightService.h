#pragma once
// Agents at work B (contract v1.1 "Agents at work"): where the shopper is in the shop (page
// context), how far each side has read (read marks, conversation.read), the shopper's past chats,
// typing signals, and full-text search over conversations. Beside ChatService on the same Store
// and Clock: one transaction per state change, events published after commit. Typing signals are
// never stored: typing() only checks and builds the event, the realtime side delivers it.

#include "app/ApiError.h"
#include "auth/Identity.h"
#include "domain/TypingThrottle.h"
#include "parley/protocol/Types.h"
#include "store/Event.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace parley::server {

// The page context of a request: an object of optional strings (page_url, page_title, referrer,
// locale, user_agent), each at most kMaxContextFieldChars; null or "" leaves a field out, other
// keys are ignored. ApiError 400 invalid_request otherwise.
protocol::PageContext pageContextFrom(const nlohmann::json& value);

class InsightService {
public:
    static constexpr int kDefaultSearchLimit = 20;
    static constexpr int kMaxSearchLimit = 100;
    static constexpr std::size_t kMaxQueryChars = 500;
    static constexpr std::size_t kMaxQueryTerms = 32;

    InsightService(Store& store, const Clock& clock);

    // PUT /conversations/{id}/context: the shopper's own conversation (404 otherwise), not closed
    // (409 conversation_closed). Replaces the context; the assigned agent and watchers get
    // conversation.updated.
    protocol::Conversation setContext(const CustomerIdentity& who, const std::string& conversationId,
                                      const protocol::PageContext& context);

    // POST /conversations/{id}/read: the customer (own conversation) or the assigned agent (403
    // for any other agent). Raises the reader's mark to min(seq, last seq); when it rose, the
    // other side gets conversation.read.
    protocol::Conversation markRead(const Caller& who, const std::string& conversationId, std::int64_t seq);

    // GET /conversations?customer_session_id=S: that shopper's conversations, newest first.
    std::vector<protocol::Conversation> conversationsOfShopper(const AgentIdentity& who,
                                                               const std::string& customerSessionId) const;

    // GET /search?q=&limit=: matching text messages, best first. 400 for an empty q.
    std::vector<MessageHit> search(const AgentIdentity& who, const std::string& query, int limit) const;
    // The FTS5 query for q: its words, each quoted (so no word is FTS5 syntax), all required.
    // Empty when q has no word.
    static std::string ftsQuery(const std::string& query);

    // A typing frame: nullopt when it is dropped by the once-per-second rule; the event to
    // deliver otherwise. ApiError when the caller may not signal in that conversation (404 for a
    // customer's unknown or foreign one, 409 when closed, 403 for an agent not assigned to it).
    std::optional<Event> typing(const Caller& who, const std::string& conversationId);

private:
    void write(const std::function<void(WriteTx&)>& job);

    Store& m_store;
    const Clock& m_clock;
    TypingThrottle m_typing;
};

} // namespace parley::server
