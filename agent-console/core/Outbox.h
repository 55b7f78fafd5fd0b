#pragma once
// Replies the agent has typed and the server has not confirmed yet. Nothing typed is lost: each
// reply gets its client_msg_id once, when typed, and is sent in typing order per conversation,
// again and again with backoff while the error is one that passes (no network, a restarting or
// overloaded server: 5xx, 503 with Retry-After), at once when the connection is back, until the
// server has it or the agent deletes it. The same id makes every resend safe: the server answers
// a repeat with the first message. A permanent error (403 after the chat was taken away, 409 when
// it is closed) stays on the reply for the agent to see. The list is saved (QSettings) per server
// and agent, so a reply also survives the console being closed or crashing.

#include "core/ApiError.h"

#include <parley/protocol/Types.h>

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

namespace parley::console {

class ApiClient;

struct PendingReply {
    enum class State {
        Waiting, // not sent yet, or sent and failed in a way that passes: tried again
        Sending, // a request is on its way
        Failed,  // the server refused it for good (error says why); kept until deleted
    };
    QString clientMsgId;
    QString conversationId;
    QString text;
    QDateTime typedAt;
    State state = State::Waiting;
    QString error; // for people: why it failed, or why the last attempt did not go through
    int attempts = 0;
    QDateTime nextAttemptAt; // Waiting after a failed attempt: not before then
};

class Outbox : public QObject {
    Q_OBJECT
public:
    explicit Outbox(ApiClient* api, QObject* parent = nullptr);
    ~Outbox() override;

    // Starts sending, with what was saved under `storageKey` (one per server and agent) first.
    void open(const QString& storageKey);
    // Stops sending (signing out). What is pending stays saved for the next sign-in.
    void close();
    bool isOpen() const { return !m_key.isEmpty(); }

    // A reply typed now: its client_msg_id.
    QString add(const QString& conversationId, const QString& text);
    // The agent deleted it (only while no request for it is on its way). True when it went.
    bool remove(const QString& clientMsgId);
    // Try again now: a failed reply, or one waiting for its next attempt.
    void retry(const QString& clientMsgId);
    // The connection is back: every waiting reply is tried at once.
    void retryAll();
    // The server has it (its event or a history carried its client_msg_id): it is no longer pending.
    bool resolve(const protocol::Message& message);

    QList<PendingReply> pending(const QString& conversationId) const; // in typing order
    const QList<PendingReply>& all() const { return m_items; }
    int count() const { return int(m_items.size()); }
    int attemptCount() const { return m_attempts; } // every request sent, for tests

    // Backoff between attempts: initial, doubling up to max (Retry-After wins when longer).
    void setBackoff(int initialMs, int maxMs);

signals:
    void changed(const QString& conversationId);
    void sent(const parley::protocol::Message& message);
    // Refused for good; the reply stays listed, Failed, until the agent deletes or retries it.
    void failed(const QString& conversationId, const QString& text, const parley::console::ApiError& error);

private:
    int indexOf(const QString& clientMsgId) const;
    void pump();
    void send(int index);
    void onAnswer(const QString& clientMsgId, int generation, const protocol::Message* message,
                  const ApiError* error);
    void schedule();
    void save() const;
    void load();

    ApiClient* m_api;
    QString m_key; // "" while closed
    QList<PendingReply> m_items;
    QTimer m_timer; // the next attempt of a waiting reply
    int m_generation = 0;
    int m_attempts = 0;
    int m_backoffInitialMs = 1000;
    int m_backoffMaxMs = 30000;
};

} // namespace parley::console
