#pragma once
// One signed-in agent: the REST and realtime clients and the models, kept up to date by events.
// Widgets only read the models and call these methods; no view talks to the network itself.
//
// Arrivals are announced exactly once, whatever way they come: every message the console gets
// (a live event, a resume backlog, a REST history when a chat is opened or after a reconnect)
// goes through one place, which remembers the shopper messages of my chats it has already
// considered. A chat that becomes mine is announced once per time it becomes mine.

#include "core/AgentListModel.h"
#include "core/ApiClient.h"
#include "core/MessagesModel.h"
#include "core/MyConversationsModel.h"
#include "core/Outbox.h"
#include "core/QueueModel.h"
#include "core/RealtimeClient.h"
#include "core/TeamChatsModel.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>

namespace parley::console {

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    ApiClient* api() { return &m_api; }
    RealtimeClient* realtime() { return &m_realtime; }
    QueueModel* queueModel() { return &m_queue; }
    MyConversationsModel* myConversations() { return &m_mine; }
    TeamModel* teamModel() { return &m_team; }
    TeamChatsModel* teamChats() { return &m_teamChats; }
    Outbox* outbox() { return &m_outbox; }
    // The history model of a conversation (created empty on first use; load it with openConversation).
    MessagesModel* messages(const QString& conversationId);

    // Signs in over REST, then connects the realtime channel (its URL from /api/v1/widget/config
    // unless overridden) and loads queue, my conversations and team.
    void signIn(const QUrl& server, const QString& username, const QString& password);
    void signOut();
    void setWsUrlOverride(const QUrl& url) { m_wsOverride = url; }
    bool isSignedIn() const { return !m_api.token().isEmpty(); }
    const protocol::Agent& me() const { return m_me; }
    QString myId() const;
    bool isAdmin() const { return m_me.role == protocol::Role::Admin; }
    bool isOnline() const { return m_me.presence == protocol::Presence::Online; }
    QUrl serverUrl() const { return m_api.baseUrl(); }

    // done (optional) learns whether the server agreed.
    void setPresence(protocol::Presence presence, std::function<void(bool ok)> done = {});
    void refresh(); // REST snapshots of queue, my conversations and team

    // Loads the full history once and follows the conversation live. Not assigned to me: watch.
    void openConversation(const QString& id);
    // What is in front of the agent (empty: nothing): it collects no unread marks.
    void setCurrentConversation(const QString& id);
    QString currentConversation() const { return m_current; }
    std::optional<protocol::Conversation> conversation(const QString& id) const;
    // Every conversation the console knows of (mine, queued, the team's, watched ones).
    QList<protocol::Conversation> knownConversations() const;
    bool isMine(const QString& id) const;
    bool canWrite(const QString& id) const; // mine and not closed
    // Mine and with an agent, or any conversation with an agent for an admin (the server allows it).
    bool canClose(const QString& id) const;
    // Queues the reply (see Outbox): sent in order, retried until it is sent. Its client_msg_id.
    QString sendMessage(const QString& conversationId, const QString& text);
    void closeConversation(const QString& conversationId);
    // Issue 19 "Agents at work".
    // The agent has seen a conversation of its own up to seq: posted once per new high mark.
    void markRead(const QString& conversationId, qint64 seq);
    // Hands a chat of mine to another agent (toAgentId empty: back to the queue); note, when not
    // empty, becomes an internal note. done hears the server's refusal, if any (nullopt: done).
    void transfer(const QString& conversationId, const QString& toAgentId, const QString& note,
                  std::function<void(const std::optional<ApiError>&)> done = {});

    // Issue 22: reads a loaded conversation and its history anew. After its shopper's data was
    // erased its messages keep their seq but not their content, which dedupe by seq would not take.
    void reloadConversation(const QString& id);
    // Takes closed and no-longer-mine chats off my list.
    int clearFinishedConversations() { return m_mine.removeFinished(); }

signals:
    void signedIn();
    void signInFailed(const parley::console::ApiError& error);
    void signedOut();
    void sessionExpired();
    void meChanged(); // presence, load, display name
    void connectionStateChanged(parley::console::RealtimeClient::State state);
    void conversationChanged(const QString& conversationId); // status or assignment changed
    void conversationLoaded(const QString& conversationId);
    // A chat became mine (once each time it does). The first snapshot after signing in is not news.
    void newAssignment(const QString& conversationId);
    // A shopper wrote in a chat of mine: once per message, whichever way it arrived (the chat in
    // front included; the window decides what to make of that).
    void customerMessage(const QString& conversationId, const QString& text);
    void messageSent(const QString& conversationId);
    // The server refused a reply for good; it stays in the outbox, marked, until deleted.
    void sendFailed(const QString& conversationId, const QString& text,
                    const parley::console::ApiError& error);
    void operationFailed(const QString& what, const parley::console::ApiError& error);
    // Back after an outage, the agent who was online is offline: away longer than the server's
    // grace period, it set the agent offline and gave its chats back to the queue.
    void wentOfflineWhileAway(int secondsAway);

private:
    void connectRealtime();
    void remember(const protocol::Conversation& c);
    // Older than what the console already knows of that conversation.
    bool isStale(const protocol::Conversation& c) const;
    void applyConversation(const protocol::Conversation& c);
    void onAssigned(const protocol::Conversation& c, const protocol::Agent& agent);
    void onPresence(const protocol::Agent& agent);
    void onReady(const protocol::Agent& me, bool reconnected);
    void setMe(const protocol::Agent& me);
    void refreshMine();
    void refreshQueue();
    void refreshTeam();
    // Asks the server about conversations whose state this console may have missed.
    void recheck(const QString& id);
    void recheckTeamChats(const protocol::Agent& agent);
    void adoptMine(const protocol::Conversation& c, bool announce);
    // The one way in for messages. contextUpTo: shopper messages with seq <= it are context (a
    // history's part from before the chat became mine), not news; -1 for live and resumed ones.
    void ingest(const protocol::Message& m, qint64 contextUpTo);
    // Up to which seq a freshly loaded history of a chat is context, not news.
    qint64 contextEnd(const QString& id, const std::vector<protocol::Message>& history) const;

    ApiClient m_api;
    RealtimeClient m_realtime;
    QueueModel m_queue;
    MyConversationsModel m_mine;
    TeamModel m_team;
    TeamChatsModel m_teamChats;
    Outbox m_outbox;
    QHash<QString, MessagesModel*> m_messages;
    QHash<QString, protocol::Conversation> m_conversations;
    QHash<QString, bool> m_loading;
    QSet<QString> m_rechecking;
    // Shopper messages of my chats already considered for an announcement, per conversation.
    QHash<QString, QSet<qint64>> m_considered;
    QHash<QString, qint64> m_readPosted; // issue 19: the highest read mark sent per conversation
    QSet<QString> m_assignedHere;        // became mine while signed in (not in the first snapshot)
    protocol::Agent m_me;
    QString m_current;
    QUrl m_wsOverride;
    QTimer m_teamRefresh;     // debounces load refreshes after bursts of conversation events
    bool m_mineKnown = false; // the first snapshot of my conversations has arrived
    // Issue: a resume the server refused (an error frame; it then sends that chat nothing more)
    // left a gap. Every followed chat is caught up over REST and followed again.
    void catchUp();
    QTimer m_catchUp;                 // debounces error frames (several resumes may fail at once)
    QHash<QString, int> m_refollowed; // follows sent again since the last hello.ok, per chat
    QElapsedTimer m_away;             // since the realtime connection was lost (invalid while connected)
    int m_generation = 0;             // bumps on sign-out so late answers of an old session are ignored
};

} // namespace parley::console
