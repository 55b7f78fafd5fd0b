#pragma once
// Several nodes (issue 20): what a node keeps in memory that another node's write can change, kept
// right on every node. Events come through the event outbox in commit order on each node (its own
// included); this sink sits in front of the realtime hub and applies the ones that change a cache
// before passing every event on:
//   kSettingsChanged       the FAQ or the settings: the bot's index and texts, the business hours
//   kCustomerSessionEnded  an erased shopper: its customer tokens are refused on this node too
//   kOutboxGap             the feed missed rows (pruned before it read them): both of the above
//                          are reloaded whole, since any of their events may be among the missed
//                          (and the hub closes every connection, so that its client resumes)
// Everything else a node needs from another's write it reads from the database per request
// (agent sessions and roles, conversations, assignment).

#include "app/ChatService.h"
#include "app/ErasedCustomers.h"
#include "store/Event.h"

namespace parley::server {

class NodeCaches final : public EventSink {
public:
    NodeCaches(ChatService& chat, ErasedCustomers& erased, EventSink& next)
        : m_chat(chat)
        , m_erased(erased)
        , m_next(next) {}

    void publish(std::vector<Event> events) override {
        for (const auto& e : events) {
            if (e.type == kSettingsChanged) {
                m_chat.settingsChangedElsewhere();
            } else if (e.type == kCustomerSessionEnded) {
                if (const auto id = e.data.find("customer_session_id"); id != e.data.end() && id->is_string())
                    m_erased.add(id->get<std::string>());
            } else if (e.type == kOutboxGap) {
                m_chat.settingsChangedElsewhere();
                // A failed read throws back to the feed, which reads again (and finds the gap again).
                m_erased.load(m_chat.erasedCustomerSessions());
            }
        }
        m_next.publish(std::move(events));
    }

private:
    ChatService& m_chat;
    ErasedCustomers& m_erased;
    EventSink& m_next;
};

} // namespace parley::server
