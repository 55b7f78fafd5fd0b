#pragma once
// One signed-in agent: the REST and realtime clients and the models, kept up to date by events.
// Widgets only read the models and call these methods; no view talks to the network itself.

#include "core/AgentListModel.h"
#include "core/ApiClient.h"
#include "core/MessagesModel.h"
#include "core/MyConversationsModel.h"
#include "core/QueueModel.h"
#include "core/RealtimeClient.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <optional>

namespace parley::console {

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);

    ApiClient* api() { return &m_api; }
    RealtimeClient* realtime() { return &m_realtime; }
    QueueModel* queueModel() { return &m_queue; }
    MyConversationsModel* myConversations() { return &m_mine; }
    TeamModel* teamModel() { return &m_team; }
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
    QUrl serverUrl() const { return m_api.baseUrl(); }

    void setPresence(protocol::Presence presence);
    void refresh(); // REST snapshots of queue, my conversations and team

    // Loads the full history once and follows the conversation live. Not assigned to me: watch.
    void openConversation(const QString& id);
    // What is in front of the agent (empty: nothing): it collects no unread marks.
    void setCurrentConversation(const QString& id);
    QString currentConversation() const { return m_current; }
    std::optional<protocol::Conversation> conversation(const QString& id) const;
    bool isMine(const QString& id) const;
    bool canWrite(const QString& id) const; // mine and not closed
    void sendMessage(const QString& conversationId, const QString& text);
    void closeConversation(const QString& conversationId);

signals:
    void signedIn();
    void signInFailed(const parley::console::ApiError& error);
    void signedOut();
    void sessionExpired();
    void meChanged(); // presence, load, display name
    void connectionStateChanged(parley::console::RealtimeClient::State state);
    void conversationChanged(const QString& conversationId); // status or assignment changed
    void conversationLoaded(const QString& conversationId);
    void newAssignment(const QString& conversationId);
    // A customer wrote in a chat of mine that is not in front.
    void customerMessage(const QString& conversationId, const QString& text);
    void messageSent(const QString& conversationId);
    // The server is overloaded: the message (text) goes out again in delayMs, unchanged.
    void sendRetrying(const QString& conversationId, const QString& text, int delayMs);
    void sendFailed(const QString& conversationId, const QString& text,
                    const parley::console::ApiError& error);
    void operationFailed(const QString& what, const parley::console::ApiError& error);

private:
    void connectRealtime();
    void remember(const protocol::Conversation& c);
    void applyConversation(const protocol::Conversation& c);
    void onMessage(const protocol::Message& m);
    void onAssigned(const protocol::Conversation& c, const protocol::Agent& agent);
    void onPresence(const protocol::Agent& agent);
    void onReady(const protocol::Agent& me, bool reconnected);
    void refreshMine();
    void refreshQueue();
    void refreshTeam();
    void adoptMine(const protocol::Conversation& c, bool announce);
    // A loaded history of one of my chats: preview, activity and unread marks.
    void noteHistory(const QString& id, const protocol::Conversation& c,
                     const std::vector<protocol::Message>& history);

    ApiClient m_api;
    RealtimeClient m_realtime;
    QueueModel m_queue;
    MyConversationsModel m_mine;
    TeamModel m_team;
    QHash<QString, MessagesModel*> m_messages;
    QHash<QString, protocol::Conversation> m_conversations;
    QHash<QString, bool> m_loading;
    QSet<QString> m_assignedHere; // became mine while signed in (not in the first snapshot)
    protocol::Agent m_me;
    QString m_current;
    QUrl m_wsOverride;
    QTimer m_teamRefresh;     // debounces load refreshes after bursts of conversation events
    bool m_mineKnown = false; // the first snapshot of my conversations has arrived
    int m_generation = 0;     // bumps on sign-out so late answers of an old session are ignored
};

} // namespace parley::console
