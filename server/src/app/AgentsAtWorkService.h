#pragma once
// Agents at work (issue 19): internal notes on conversations and the team's canned replies.
// Notes live in their own table, never among the messages: they take no seq, and no customer
// ever reads or hears of them (their event goes to agents only). Transfers and disabled agents
// change assignment, so they live in ChatService beside the other assignment rules; a transfer's
// note is written with appendNote below, in the transfer's own transaction.

#include "app/ApiError.h"
#include "auth/Identity.h"
#include "parley/protocol/Types.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <optional>
#include <string>
#include <vector>

namespace parley::server {

class AgentsAtWorkService {
public:
    AgentsAtWorkService(Store& store, const Clock& clock);

    // Any agent, any status. A customer's token is answered as if the conversation did not exist.
    std::vector<protocol::Note> notes(const Caller& who, const std::string& conversationId) const;
    protocol::Note addNote(const Caller& who, const std::string& conversationId, const std::string& content);

    // Replies whose shortcut, title or content holds q (case ignored): shortcut matches first,
    // each group by shortcut. An empty q lists them all.
    std::vector<protocol::CannedReply> searchCanned(const std::string& q) const;
    std::vector<protocol::CannedReply> allCanned() const;
    protocol::CannedReply createCanned(const protocol::CannedReply& r);
    struct CannedPatch {
        std::optional<std::string> shortcut;
        std::optional<std::string> title;
        std::optional<std::string> content;
    };
    protocol::CannedReply updateCanned(const std::string& id, const CannedPatch& patch);
    void deleteCanned(const std::string& id);

private:
    template <typename F>
    auto writeResult(F&& f) {
        try {
            return m_store.writeResult(std::forward<F>(f));
        } catch (const StoreOverloaded& e) {
            throw ApiError::overloaded(e.retryAfterSeconds());
        }
    }

    Store& m_store;
    const Clock& m_clock;
};

// Inside a write: stores a note by the agent on conversation c and publishes note.created to the
// assigned agent and the agents watching c (never to the customer). content is validated first
// (the rules of message content: 400 as for a message).
protocol::Note appendNote(WriteTx& tx, const protocol::Conversation& c, const std::string& agentId,
                          const std::string& agentDisplayName, const std::string& content,
                          const std::string& now);

} // namespace parley::server
