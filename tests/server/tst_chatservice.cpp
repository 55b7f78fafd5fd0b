// ChatService in-process: a temporary SQLite database, a ManualClock and a recording EventSink, no
// transport. The lifecycle with the bot, assignment order and its ties, one busy message however
// many handoffs race, client_msg_id idempotency, events only after commit and in commit order, the
// grace path (markAgentLost, also for an agent offline by choice), a transfer serving the queue
// and counting in the tie-break, idle close after a change of hands, the customer rate limit on
// the manual clock, and admission: a full write queue answers 503 overloaded and creates nothing,
// while the server's own markAgentLost still gets through.
#include "app/ChatService.h"
#include "auth/TokenSigner.h"
#include "domain/LoginThrottle.h"
#include "parley/protocol/Events.h"
#include "store/SqliteStore.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace parley::server;
using namespace std::chrono_literals;
using parley::protocol::Agent;
using parley::protocol::Conversation;
using parley::protocol::ConversationStatus;
using parley::protocol::Message;
using parley::protocol::MessageKind;
using parley::protocol::Presence;
using parley::protocol::SenderType;
namespace events = parley::protocol::events;
namespace errors = parley::protocol::errors;

namespace {

// Records what is published, in order, and checks at that moment that the store's readers already
// see what a message.created speaks of: published after commit, never before.
class RecordingSink final : public EventSink {
public:
    Store* store = nullptr;
    std::atomic<int> beforeCommit{0};

    void publish(std::vector<Event> batch) override {
        for (const auto& e : batch)
            if (e.type == events::kMessageCreated && store &&
                store->readResult([&](ReadTx& tx) { return tx.lastSeq(e.conversationId); }) < e.seq)
                ++beforeCommit;
        std::lock_guard lock(m_mutex);
        for (auto& e : batch)
            m_events.push_back(std::move(e));
    }
    std::vector<Event> events() {
        std::lock_guard lock(m_mutex);
        return m_events;
    }
    std::vector<Event> ofType(const std::string& type) {
        std::vector<Event> out;
        for (auto& e : events())
            if (e.type == type)
                out.push_back(e);
        return out;
    }
    void clear() {
        std::lock_guard lock(m_mutex);
        m_events.clear();
    }

private:
    std::mutex m_mutex;
    std::vector<Event> m_events;
};

class Gate {
public:
    void open() {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }
    void pass() {
        std::unique_lock lock(m_mutex);
        m_reached = true;
        m_cv.wait(lock, [&] { return m_open; });
    }
    bool reached() {
        std::lock_guard lock(m_mutex);
        return m_reached;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
    bool m_reached = false;
};

template <typename F>
ApiError apiErrorOf(F&& f) {
    try {
        f();
    } catch (const ApiError& e) {
        return e;
    }
    return ApiError(0, "none", "no error");
}

// Enums compared by their contract names (QTest cannot print them).
template <typename E>
QString name(E value) {
    return QString::fromStdString(std::string(parley::protocol::toString(value)));
}

int countMessages(const std::vector<Message>& ms, const std::string& content) {
    return static_cast<int>(
        std::count_if(ms.begin(), ms.end(), [&](auto& m) { return m.content == content; }));
}

} // namespace

class TestChatService : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock;
    RecordingSink m_sink;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenSigner> m_tokens;
    std::unique_ptr<ChatService> m_chat;
    AgentIdentity m_admin;

    // Customers are not rate-limited here unless a test asks for it.
    static ChatServiceOptions unlimitedCustomers() {
        ChatServiceOptions o;
        o.customerRate = {1e9, 1e9};
        return o;
    }

    void start(SqliteStore::Options storeOptions = {},
               ChatServiceOptions chatOptions = unlimitedCustomers()) {
        m_chat.reset();
        m_store.reset();
        m_dir = std::make_unique<QTemporaryDir>();
        storeOptions.sync = SqliteStore::Sync::Normal;
        m_store = std::make_unique<SqliteStore>(
            QString(m_dir->path() + QStringLiteral("/parley.db")).toStdString(), &m_sink, storeOptions);
        m_sink.store = m_store.get();
        m_sink.clear();
        m_sink.beforeCommit = 0;
        m_tokens = std::make_unique<TokenSigner>(std::string(32, 's'), m_clock);
        m_chat = std::make_unique<ChatService>(*m_store, *m_tokens, m_clock, chatOptions);
        QVERIFY(m_chat->bootstrap("admin-password"));
        m_admin = AgentIdentity{m_chat->login("admin", "admin-password").agent.id,
                                parley::protocol::Role::Admin, ""};
    }

    // A service whose customers may send `burst` messages at once, then one a second, and one
    // customer's open conversation.
    std::pair<CustomerIdentity, std::string> startRateLimited(double burst) {
        ChatServiceOptions options;
        options.customerRate = {burst, 60};
        start({}, options);
        const auto customer = newCustomer();
        return {customer, m_chat->openConversation(customer).conversation.id};
    }

    CustomerIdentity newCustomer() { return CustomerIdentity{m_chat->createCustomerSession().sessionId}; }

    AgentIdentity newAgent(const std::string& name, int maxChats, bool online = true) {
        const auto a = m_chat->createAgent({name, name + " Display", "password-" + name, maxChats});
        AgentIdentity who{a.id, parley::protocol::Role::Agent, ""};
        if (online)
            m_chat->setPresence(who, Presence::Online);
        return who;
    }

    Conversation conversationOf(const std::string& id) {
        return m_chat->getConversation(Caller{m_admin}, id).conversation;
    }
    std::vector<Message> messagesOf(const std::string& id) {
        return m_chat->getConversation(Caller{m_admin}, id).messages;
    }

    ChatService::SendResult say(const CustomerIdentity& who, const std::string& conversationId,
                                const std::string& text, std::optional<std::string> clientMsgId = {}) {
        ChatService::SendRequest r;
        r.content = text;
        r.clientMsgId = std::move(clientMsgId);
        return m_chat->sendMessage(Caller{who}, conversationId, r);
    }

private slots:
    void init() { start(); }
    void cleanup() {
        QCOMPARE(m_sink.beforeCommit.load(), 0);
        m_chat.reset();
        m_store.reset();
    }

    void lifecycle() {
        const auto customer = newCustomer();
        const auto opened = m_chat->openConversation(customer);
        QVERIFY(opened.created);
        QCOMPARE(name(opened.conversation.status), name(ConversationStatus::Automated));
        QCOMPARE(opened.messages.size(), std::size_t(1));
        QCOMPARE(name(opened.messages[0].senderType), name(SenderType::Bot));
        QCOMPARE(opened.messages[0].metadata["suggestions"].size(), std::size_t(4));
        const auto id = opened.conversation.id;
        QCOMPARE(m_chat->openConversation(customer).conversation.id, id); // the same one again
        QVERIFY(!m_chat->openConversation(customer).created);

        // The bot answers from the FAQ while the conversation is automated.
        auto sent = say(customer, id, "How long does shipping take?");
        QCOMPARE(sent.message.seq, std::int64_t(2));
        QCOMPARE(sent.replies.size(), std::size_t(1));
        QCOMPARE(sent.replies[0].seq, std::int64_t(3));
        QCOMPARE(sent.replies[0].metadata.value("faq_slug", ""), std::string("shipping-times"));
        QCOMPARE(sent.replies[0].metadata.value("matched", false), true);
        sent = say(customer, id, "xyzzy plugh");
        QCOMPARE(sent.replies[0].metadata.value("matched", true), false);
        QCOMPARE(sent.replies[0].metadata["suggestions"].size(), FaqBot::kSuggestions);

        ChatService::SendRequest quick;
        quick.kind = MessageKind::QuickReply;
        quick.faqSlug = "returns";
        sent = m_chat->sendMessage(Caller{customer}, id, quick);
        QCOMPARE(sent.message.content, std::string("How do I return an item?"));
        QCOMPARE(sent.replies[0].metadata.value("faq_slug", ""), std::string("returns"));
        quick.faqSlug = "no-such-entry";
        QCOMPARE(apiErrorOf([&] { m_chat->sendMessage(Caller{customer}, id, quick); }).status(), 404);

        // An FAQ change is seen by the next message (the cached index is rebuilt).
        m_chat->createFaq(
            {"gift-wrapping", "Do you offer gift wrapping?", "Yes, for 3 euros per parcel.", 5, true, ""});
        sent = say(customer, id, "can you gift wrap it?");
        QCOMPARE(sent.replies[0].metadata.value("faq_slug", ""), std::string("gift-wrapping"));
        m_chat->deleteFaq("gift-wrapping");
        sent = say(customer, id, "can you gift wrap it?");
        QVERIFY(sent.replies[0].metadata.value("faq_slug", "") != std::string("gift-wrapping"));

        // Nobody online: queued, with the busy message.
        auto c = m_chat->handoff(customer, id);
        QCOMPARE(name(c.status), name(ConversationStatus::Agent));
        QVERIFY(c.isQueued());
        QCOMPARE(c.queuePosition.value_or(0), 1);
        QCOMPARE(countMessages(messagesOf(id), parley::protocol::kQueuedMessage), 1);
        QCOMPARE(m_chat->handoff(customer, id).id, id); // idempotent
        // The bot is silent from now on.
        QVERIFY(say(customer, id, "hello?").replies.empty());

        // An agent comes online and gets it.
        const auto agent = newAgent("alice", 3);
        c = conversationOf(id);
        QCOMPARE(c.assignedAgentId.value_or(""), agent.agentId);
        QVERIFY(!c.isQueued());
        QCOMPARE(m_sink.ofType(events::kAgentAssigned).size(), std::size_t(1));
        ChatService::SendRequest fromAgent;
        fromAgent.content = "Hi, I'm Alice.";
        QCOMPARE(name(m_chat->sendMessage(Caller{agent}, id, fromAgent).message.senderType),
                 name(SenderType::Agent));
        const auto bob = newAgent("bob", 3);
        QCOMPARE(apiErrorOf([&] { m_chat->sendMessage(Caller{bob}, id, fromAgent); }).status(), 403);

        // Closed: no more messages, no handoff.
        QCOMPARE(apiErrorOf([&] { m_chat->close(bob, id); }).status(), 403);
        c = m_chat->close(agent, id);
        QCOMPARE(name(c.status), name(ConversationStatus::Closed));
        QCOMPARE(m_sink.ofType(events::kChatClosed).size(), std::size_t(1));
        QCOMPARE(apiErrorOf([&] { say(customer, id, "still there?"); }).code(),
                 std::string(errors::kConversationClosed));
        QCOMPARE(apiErrorOf([&] { m_chat->handoff(customer, id); }).code(),
                 std::string(errors::kConversationClosed));
        QCOMPARE(apiErrorOf([&] { m_chat->close(agent, id); }).status(), 409);
        // Another session's conversation does not exist for this customer.
        QCOMPARE(apiErrorOf([&] { say(newCustomer(), id, "hi"); }).status(), 404);
        // A new conversation after the closed one.
        QVERIFY(m_chat->openConversation(customer).conversation.id != id);
    }

    // Least loaded first; equal load: the oldest last assignment (never counts as oldest); then the
    // smaller id. A full agent gets nothing.
    void assignmentOrderAndTies() {
        std::vector<AgentIdentity> agents;
        for (const auto* name : {"carol", "dave", "erin"})
            agents.push_back(newAgent(name, 2));
        struct Model {
            std::string id;
            int load = 0;
            std::int64_t last = 0; // 0: never
        };
        std::vector<Model> model;
        for (const auto& a : agents)
            model.push_back({a.agentId});
        std::int64_t counter = 0;
        for (int i = 0; i < 7; ++i) {
            const auto customer = newCustomer();
            const auto id = m_chat->openConversation(customer).conversation.id;
            const auto c = m_chat->handoff(customer, id);
            std::vector<Model*> free;
            for (auto& m : model)
                if (m.load < 2)
                    free.push_back(&m);
            if (free.empty()) {
                QVERIFY(c.isQueued()); // everybody full
                continue;
            }
            auto* expected = *std::min_element(free.begin(), free.end(), [](auto* a, auto* b) {
                return std::tie(a->load, a->last, a->id) < std::tie(b->load, b->last, b->id);
            });
            QCOMPARE(c.assignedAgentId.value_or("none"), expected->id);
            expected->load++;
            expected->last = ++counter;
        }
        // Closing one frees a place: the queued conversation goes there at once.
        const auto queue = m_chat->queue();
        QCOMPARE(queue.size(), std::size_t(1));
        const auto mine = m_chat->myConversations(agents[1]);
        QCOMPARE(mine.size(), std::size_t(2));
        m_chat->close(agents[1], mine[0].id);
        QCOMPARE(conversationOf(queue[0].id).assignedAgentId.value_or(""), agents[1].agentId);
        QVERIFY(m_chat->queue().empty());
    }

    // Handoffs racing from many threads, several for the same conversation: each conversation
    // gets exactly one busy message and one queue place; with two places free, exactly two are
    // assigned.
    void oneBusyMessageUnderConcurrentHandoffs() {
        const auto full = newAgent("frank", 0);
        const auto one = newAgent("gina", 1);
        const auto two = newAgent("hank", 1);
        std::vector<std::pair<CustomerIdentity, std::string>> conversations;
        for (int i = 0; i < 8; ++i) {
            const auto customer = newCustomer();
            conversations.emplace_back(customer, m_chat->openConversation(customer).conversation.id);
        }
        std::atomic<int> errors{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 24; ++t)
            threads.emplace_back([&, t] {
                const auto& [customer, id] =
                    conversations[static_cast<std::size_t>(t) % conversations.size()];
                try {
                    m_chat->handoff(customer, id);
                } catch (...) {
                    ++errors;
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(errors.load(), 0);
        int assigned = 0;
        std::set<int> places;
        for (const auto& [customer, id] : conversations) {
            const auto c = conversationOf(id);
            QCOMPARE(name(c.status), name(ConversationStatus::Agent));
            const auto ms = messagesOf(id);
            if (c.assignedAgentId) {
                ++assigned;
                QVERIFY(*c.assignedAgentId != full.agentId);
                QCOMPARE(countMessages(ms, parley::protocol::kQueuedMessage), 0);
            } else {
                QCOMPARE(countMessages(ms, parley::protocol::kQueuedMessage), 1);
                places.insert(c.queuePosition.value_or(0));
            }
        }
        QCOMPARE(assigned, 2);
        QCOMPARE(places, (std::set<int>{1, 2, 3, 4, 5, 6}));
        QCOMPARE(m_chat->agent(one.agentId).activeChats, 1);
        QCOMPARE(m_chat->agent(two.agentId).activeChats, 1);
    }

    void clientMsgIdIsIdempotent() {
        const auto customer = newCustomer();
        const auto id = m_chat->openConversation(customer).conversation.id;
        const auto first = say(customer, id, "Where is my order?", "m-1");
        QVERIFY(first.created);
        QCOMPARE(first.replies.size(), std::size_t(1));
        const auto again = say(customer, id, "Where is my order?", "m-1");
        QVERIFY(!again.created);
        QCOMPARE(again.message.id, first.message.id);
        QCOMPARE(again.message.seq, first.message.seq);
        QVERIFY(again.replies.empty());
        // Racing repeats: one message.
        std::vector<std::thread> threads;
        std::atomic<int> created{0};
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                if (say(customer, id, "Racing", "m-2").created)
                    ++created;
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(created.load(), 1);
        QCOMPARE(countMessages(messagesOf(id), "Racing"), 1);
        QCOMPARE(countMessages(messagesOf(id), "Where is my order?"), 1);
        QCOMPARE(m_sink.ofType(events::kMessageCreated).size(), messagesOf(id).size());
    }

    // The key is not looked up before the insert: the unique index refuses a repeat and the send
    // runs again. What the refused insert did is rolled back: no seq spent, no event, no change to
    // the conversation. Refusals (the rate limit, a closed conversation) still answer a repeat with
    // the first send, and a key reused for other content is a conflict.
    void aRepeatChangesNothingAndBeatsRefusals() {
        const auto [customer, id] = startRateLimited(2); // two at once, then one a second
        const auto agent = newAgent("nora", 1);
        m_chat->handoff(customer, id);
        QCOMPARE(conversationOf(id).assignedAgentId.value_or(""), agent.agentId);
        ChatService::SendRequest reply;
        reply.content = "Let me look.";
        reply.clientMsgId = "a-1";
        const auto agentFirst = m_chat->sendMessage(Caller{agent}, id, reply);
        const auto first = say(customer, id, "Order 1234", "m-1");
        QVERIFY(first.created);
        const auto before = conversationOf(id);
        const auto eventsBefore = m_sink.ofType(events::kMessageCreated).size();

        m_clock.advance(5s); // a repeat that did write would move updated_at
        const auto again = say(customer, id, "Order 1234", "m-1");
        QVERIFY(!again.created);
        QCOMPARE(again.message.id, first.message.id);
        QCOMPARE(conversationOf(id).updatedAt, before.updatedAt);
        QCOMPARE(m_sink.ofType(events::kMessageCreated).size(), eventsBefore);
        QCOMPARE(say(customer, id, "Order 1234", "m-2").message.seq, first.message.seq + 1);

        // Rate-limited now (both tokens taken): a repeat is still the first send, a new one is not.
        QCOMPARE(apiErrorOf([&] { say(customer, id, "Too soon", "m-3"); }).status(), 429);
        QCOMPARE(say(customer, id, "Order 1234", "m-1").message.id, first.message.id);
        QCOMPARE(apiErrorOf([&] { say(customer, id, "Other text", "m-1"); }).status(), 409);

        // The agent's key is its own; after the close a repeat still answers with the first send.
        QCOMPARE(m_chat->sendMessage(Caller{agent}, id, reply).message.id, agentFirst.message.id);
        m_chat->close(agent, id);
        QCOMPARE(m_chat->sendMessage(Caller{agent}, id, reply).message.id, agentFirst.message.id);
        m_clock.advance(60s);
        QCOMPARE(say(customer, id, "Order 1234", "m-1").message.id, first.message.id);
        const auto closed = apiErrorOf([&] { say(customer, id, "Hello?", "m-4"); });
        QCOMPARE(closed.code(), std::string(errors::kConversationClosed));
        const auto ms = messagesOf(id);
        for (std::size_t i = 0; i < ms.size(); ++i)
            QCOMPARE(ms[i].seq, static_cast<std::int64_t>(i + 1));
    }

    // Many senders on a few conversations: every message.created is published after its commit
    // (checked by the sink at publish time) and, per conversation, in seq order with no gap.
    void eventsOnlyAfterCommitInCommitOrder() {
        const auto agent = newAgent("ivan", 10);
        std::vector<std::pair<CustomerIdentity, std::string>> conversations;
        for (int i = 0; i < 4; ++i) {
            const auto customer = newCustomer();
            const auto id = m_chat->openConversation(customer).conversation.id;
            if (i % 2 == 1)
                m_chat->handoff(customer, id); // half with the agent, half with the bot
            conversations.emplace_back(customer, id);
        }
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i) {
                    const auto& [customer, id] =
                        conversations[static_cast<std::size_t>(t + i) % conversations.size()];
                    if (t % 2 == 0 || !conversationOf(id).assignedAgentId) {
                        say(customer, id, "message " + std::to_string(i));
                    } else {
                        ChatService::SendRequest r;
                        r.content = "answer " + std::to_string(i);
                        m_chat->sendMessage(Caller{agent}, id, r);
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        std::map<std::string, std::int64_t> lastSeq;
        for (const auto& e : m_sink.ofType(events::kMessageCreated)) {
            auto& last = lastSeq[e.conversationId];
            QCOMPARE(e.seq, last + 1);
            last = e.seq;
        }
        for (const auto& [customer, id] : conversations)
            QCOMPARE(lastSeq[id], std::int64_t(messagesOf(id).size()));
    }

    // The grace path: a lost agent goes offline, its conversations go back to the queue with a
    // system message each and are served again at once where there is room.
    void markAgentLostRequeuesItsConversations() {
        const auto lost = newAgent("judy", 2);
        std::vector<std::string> ids;
        for (int i = 0; i < 2; ++i) {
            const auto customer = newCustomer();
            const auto id = m_chat->openConversation(customer).conversation.id;
            QCOMPARE(m_chat->handoff(customer, id).assignedAgentId.value_or(""), lost.agentId);
            ids.push_back(id);
        }
        const auto other = newAgent("ken", 1); // room for one of the two
        m_sink.clear();
        m_clock.advance(1s);
        m_chat->markAgentLost(lost.agentId);
        QCOMPARE(name(m_chat->agent(lost.agentId).presence), name(Presence::Offline));
        QVERIFY(m_chat->myConversations(lost).empty());
        int toOther = 0;
        int queued = 0;
        for (const auto& id : ids) {
            const auto ms = messagesOf(id);
            QCOMPARE(std::count_if(
                         ms.begin(), ms.end(),
                         [](auto& m) { return m.metadata.value("event", "") == std::string("unassigned"); }),
                     1L);
            const auto c = conversationOf(id);
            if (c.assignedAgentId == other.agentId)
                ++toOther;
            else if (c.isQueued())
                ++queued;
        }
        QCOMPARE(toOther, 1);
        QCOMPARE(queued, 1);
        QCOMPARE(m_chat->onlineAgentIds(), std::vector<std::string>{other.agentId});
        const auto presence = m_sink.ofType(events::kAgentPresenceChanged);
        QVERIFY(!presence.empty());
        QCOMPARE(presence.front().data["agent"].value("presence", ""), std::string("offline"));
        // Already offline: nothing happens.
        m_sink.clear();
        m_chat->markAgentLost(lost.agentId);
        QVERIFY(m_sink.events().empty());
    }

    // Offline by choice keeps an agent's chats while it is there; gone past the grace period (its
    // console closed), they go to someone who is.
    void markAgentLostTakesTheChatsOfAnAgentOfflineByChoice() {
        const auto alice = newAgent("alice", 2);
        const auto customer = newCustomer();
        const auto id = m_chat->openConversation(customer).conversation.id;
        QCOMPARE(m_chat->handoff(customer, id).assignedAgentId.value_or(""), alice.agentId);
        m_chat->setPresence(alice, Presence::Offline);
        QCOMPARE(conversationOf(id).assignedAgentId.value_or(""), alice.agentId);
        QCOMPARE(m_chat->agentsToWatchIds(), std::vector<std::string>{alice.agentId});
        const auto bob = newAgent("bob", 2);
        QCOMPARE(m_chat->agentsToWatchIds().size(), std::size_t(2));

        m_chat->markAgentLost(alice.agentId);
        QCOMPARE(conversationOf(id).assignedAgentId.value_or(""), bob.agentId);
        const auto ms = messagesOf(id);
        QCOMPARE(
            std::count_if(ms.begin(), ms.end(),
                          [](auto& m) { return m.metadata.value("event", "") == std::string("unassigned"); }),
            1L);
        QCOMPARE(m_chat->agentsToWatchIds(), std::vector<std::string>{bob.agentId});
        m_sink.clear();
        m_chat->markAgentLost(alice.agentId); // offline with nothing: nothing happens
        QVERIFY(m_sink.events().empty());
    }

    // A transfer counts as an assignment in the tie-break.
    void aTransferCountsInTheTieBreak() {
        std::vector<std::string> ids;
        auto handoff = [&] {
            const auto customer = newCustomer();
            const auto id = m_chat->openConversation(customer).conversation.id;
            ids.push_back(id);
            return m_chat->handoff(customer, id).assignedAgentId.value_or("queued");
        };
        // One at a time, so that the order does not rest on the ids' tie-break.
        const auto x = newAgent("xavier", 5);
        QCOMPARE(handoff(), x.agentId); // x: last assignment 1
        const auto y = newAgent("yvonne", 5);
        QCOMPARE(handoff(), y.agentId); // y: 2
        const auto z = newAgent("zoe", 5);
        QCOMPARE(handoff(), z.agentId); // z: 3
        m_chat->close(x, ids[0]);
        m_chat->transfer(z, ids[2], x.agentId, std::nullopt); // x: 4, and one chat again
        QCOMPARE(handoff(), z.agentId);                       // the least loaded; z: 5
        // All three at one chat: the oldest last assignment is y's (2), not x's first (1).
        QCOMPARE(handoff(), y.agentId);
    }

    // A transfer from an agent at its maximum to one with room frees a place: the queue is served.
    void theRoomATransferFreesServesTheQueue() {
        const auto alice = newAgent("alice", 2);
        std::vector<std::pair<CustomerIdentity, std::string>> chats;
        auto handoff = [&] {
            const auto customer = newCustomer();
            const auto id = m_chat->openConversation(customer).conversation.id;
            chats.emplace_back(customer, id);
            return m_chat->handoff(customer, id).assignedAgentId.value_or("queued");
        };
        QCOMPARE(handoff(), alice.agentId);
        QCOMPARE(handoff(), alice.agentId); // alice full
        const auto bob = newAgent("bob", 5);
        QCOMPARE(handoff(), bob.agentId);
        const auto waiting = chats.back().second;
        m_chat->transfer(bob, waiting, std::nullopt, std::nullopt); // bob sits this pass out
        QVERIFY(conversationOf(waiting).isQueued());
        m_chat->transfer(alice, chats[0].second, bob.agentId, std::nullopt);
        QCOMPARE(conversationOf(chats[0].second).assignedAgentId.value_or(""), bob.agentId);
        QCOMPARE(conversationOf(waiting).assignedAgentId.value_or("queued"), alice.agentId);
        QVERIFY(m_chat->queue().empty());
    }

    // Idle close counts from the assigned agent's last word: a chat that changed hands since is
    // not idle until the new agent has written.
    void idleCloseWaitsForTheNewAgentsFirstWord() {
        const auto alice = newAgent("alice", 2);
        const auto customer = newCustomer();
        const auto id = m_chat->openConversation(customer).conversation.id;
        m_chat->handoff(customer, id);
        ChatService::SendRequest reply;
        reply.content = "Hello, I am Alice.";
        m_chat->sendMessage(Caller{alice}, id, reply);
        m_clock.advance(10min);
        m_chat->markAgentLost(alice.agentId);
        const auto bob = newAgent("bob", 2);
        QCOMPARE(conversationOf(id).assignedAgentId.value_or(""), bob.agentId);
        m_clock.advance(10min);
        QCOMPARE(m_chat->closeIdle(m_clock.now() - 5min, "idle"), 0);
        reply.content = "Bob here, how can I help?";
        m_chat->sendMessage(Caller{bob}, id, reply);
        m_clock.advance(4min);
        QCOMPARE(m_chat->closeIdle(m_clock.now() - 5min, "idle"), 0);
        m_clock.advance(1min);
        QCOMPARE(m_chat->closeIdle(m_clock.now() - 5min, "idle"), 1);
        QCOMPARE(name(conversationOf(id).status), name(ConversationStatus::Closed));
    }

    void customerRateLimitOnTheManualClock() {
        const auto [customer, id] = startRateLimited(3); // three at once, then one a second
        for (int i = 0; i < 3; ++i)
            say(customer, id, "message " + std::to_string(i));
        const auto e = apiErrorOf([&] { say(customer, id, "one too many"); });
        QCOMPARE(e.status(), 429);
        QCOMPARE(e.code(), std::string(errors::kRateLimited));
        QVERIFY(e.retryAfterSeconds().value_or(0) >= 1);
        QCOMPARE(countMessages(messagesOf(id), "one too many"), 0);
        // Agents are not limited.
        const auto agent = newAgent("lena", 1);
        m_chat->handoff(customer, id);
        ChatService::SendRequest r;
        for (int i = 0; i < 5; ++i) {
            r.content = "agent " + std::to_string(i);
            m_chat->sendMessage(Caller{agent}, id, r);
        }
        m_clock.advance(1s);
        say(customer, id, "after a second");
        QCOMPARE(apiErrorOf([&] { say(customer, id, "again too soon"); }).status(), 429);
    }

    // A shared rate limit (Redis, in a cluster) that hangs holds only the send that asked it: the
    // node's one writer goes on committing other conversations' messages meanwhile. Asked inside
    // the writer's job, it held every write of the node for as long as Redis did not answer.
    void aHangingSharedRateLimitHoldsNoOtherWrite() {
        struct HangingLimit final : CustomerRateLimit {
            std::string hangFor;
            std::mutex mutex;
            std::condition_variable changed;
            bool entered = false, released = false;
            std::optional<int> tryConsume(const std::string& key) override {
                if (key != hangFor)
                    return std::nullopt;
                std::unique_lock lock(mutex);
                entered = true;
                changed.notify_all();
                changed.wait(lock, [&] { return released; });
                return std::nullopt;
            }
            bool isRemote() const override { return true; }
            void release() {
                std::lock_guard lock(mutex);
                released = true;
                changed.notify_all();
            }
        } limit;
        LoginThrottle logins(m_clock, {});
        start();
        m_chat->setSharedLimits(limit, logins);
        const auto slow = newCustomer();
        const auto slowId = m_chat->openConversation(slow).conversation.id;
        const auto other = newCustomer();
        const auto otherId = m_chat->openConversation(other).conversation.id;
        limit.hangFor = slow.sessionId;

        std::thread hanging([&] { say(slow, slowId, "Where is my parcel?"); });
        {
            std::unique_lock lock(limit.mutex);
            QVERIFY(limit.changed.wait_for(lock, 10s, [&] { return limit.entered; }));
        }
        auto sent = std::async(std::launch::async, [&] { return say(other, otherId, "Hello there"); });
        const bool committed = sent.wait_for(10s) == std::future_status::ready;
        limit.release();
        hanging.join();
        QVERIFY2(committed, "another conversation's message waited for the hanging rate limit");
        QVERIFY(sent.get().created);
        QCOMPARE(countMessages(messagesOf(slowId), "Where is my parcel?"), 1);
    }

    // A full write queue: a request gets 503 overloaded with Retry-After at once and creates
    // nothing; what was accepted still commits; the server's own markAgentLost is never refused.
    void fullWriteQueueAnswers503AndCreatesNothing() {
        SqliteStore::Options options;
        options.writer.queueLimit = 2;
        start(options, unlimitedCustomers());
        const auto agent = newAgent("mia", 5);
        const auto customer = newCustomer();
        const auto id = m_chat->openConversation(customer).conversation.id;
        const auto messagesBefore = messagesOf(id).size();

        Gate gate;
        std::vector<std::thread> threads;
        struct Finish {
            Gate& gate;
            std::vector<std::thread>& threads;
            ~Finish() {
                gate.open();
                for (auto& t : threads)
                    if (t.joinable())
                        t.join();
            }
        } finish{gate, threads};
        threads.emplace_back([&] { m_store->write([&](WriteTx&) { gate.pass(); }); }); // holds the writer
        QTRY_VERIFY(gate.reached());
        for (int i = 0; i < 2; ++i)
            threads.emplace_back([&, i] { say(customer, id, "accepted " + std::to_string(i)); });
        QTRY_COMPARE(m_store->writesQueued(), std::size_t(2));

        const auto refused = apiErrorOf([&] { say(customer, id, "refused", "r-1"); });
        QCOMPARE(refused.status(), 503);
        QCOMPARE(refused.code(), std::string(errors::kOverloaded));
        QCOMPARE(refused.retryAfterSeconds().value_or(0), 1);
        QCOMPARE(apiErrorOf([&] { m_chat->handoff(customer, id); }).status(), 503);
        QCOMPARE(apiErrorOf([&] { m_chat->openConversation(newCustomer()); }).status(), 503);

        std::atomic<bool> lostRefused{false};
        threads.emplace_back([&] {
            try {
                m_chat->markAgentLost(agent.agentId);
            } catch (const std::exception&) {
                lostRefused = true;
            }
        });
        QTRY_VERIFY(m_store->writesQueued() == 3 || lostRefused);
        QVERIFY(!lostRefused);

        gate.open();
        for (auto& t : threads)
            t.join();
        const auto ms = messagesOf(id);
        QCOMPARE(countMessages(ms, "refused"), 0);
        QCOMPARE(countMessages(ms, "accepted 0"), 1);
        QCOMPARE(countMessages(ms, "accepted 1"), 1);
        QCOMPARE(ms.size(), messagesBefore + 4); // two messages, two bot replies
        QCOMPARE(name(conversationOf(id).status), name(ConversationStatus::Automated));
        QCOMPARE(name(m_chat->agent(agent.agentId).presence), name(Presence::Offline));
        // The refused client_msg_id was never used: sending it now creates the message.
        QVERIFY(say(customer, id, "refused", "r-1").created);
    }
};

QTEST_GUILESS_MAIN(TestChatService)
#include "tst_chatservice.moc"
