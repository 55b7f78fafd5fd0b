#pragma once
// E-mail of agent replies a shopper has not read (issue 21): when an agent writes in a
// conversation whose shopper left a reply address, and a while later the shopper has neither read
// it nor had the widget open, one mail with the unread replies goes to that address.
//
// Durable in two steps, both in the store: an agent's reply marks the conversation (a
// reply_mail_watch row, written in the reply's own transaction by ChatService); planNow() turns a
// mark whose delay has passed into one outbox row and records the newest seq it covers, in one
// transaction, so no reply is ever put in two mails; sendDueNow() hands outbox rows to the
// MailTransport off every transaction and retries failures with exponential backoff. One
// background thread runs both, so no request ever waits for the mail server.

#include "app/CustomerConnections.h"
#include "app/MailTransport.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace parley::server {

struct ReplyMailOptions {
    std::string from = "parley@localhost"; // --smtp-from
    std::string shopName;                  // --shop-name: in From, the subject and the greeting
    // How long an agent's reply waits, unread and with the shopper away, before it is mailed.
    std::chrono::milliseconds delay{std::chrono::minutes(2)};
    // At most one mail per conversation this often.
    std::chrono::milliseconds minInterval{std::chrono::minutes(10)};
    // A failed send is tried again after retryFirst, then twice as long each time up to retryMax,
    // maxAttempts times in all; then it is given up (kept in the outbox with its last error).
    std::chrono::milliseconds retryFirst{std::chrono::seconds(30)};
    std::chrono::milliseconds retryMax{std::chrono::hours(1)};
    // How long a node's claim on a mail it is sending holds (several nodes, one outbox): past it,
    // a mail still in the outbox (its node died while sending) is another node's to send.
    std::chrono::milliseconds sendLease{std::chrono::minutes(5)};
    int maxAttempts = 8;
    // How often the job looks for marks whose delay has passed.
    std::chrono::milliseconds checkInterval{std::chrono::seconds(5)};
    // A mark older than this (the feature was off, or the server down for long) is dropped unmailed.
    std::chrono::milliseconds staleAfter{std::chrono::hours(24)};
};

class ReplyMailService {
public:
    static constexpr int kBatch = 100;
    static constexpr std::size_t kMaxRepliesInMail = 50;

    ReplyMailService(Store& store, MailTransport& transport, const CustomerConnections& connections,
                     const Clock& clock, ReplyMailOptions options = {});
    ~ReplyMailService();
    ReplyMailService(const ReplyMailService&) = delete;
    ReplyMailService& operator=(const ReplyMailService&) = delete;

    // One planning pass: marks whose delay has passed become outbox mails, are postponed (the
    // shopper is or was just connected, or had a mail a short while ago) or are dropped (nothing
    // unread, no address). Returns how many mails it queued.
    int planNow();
    // One sending pass over the outbox rows that are due. Returns how many the server took.
    int sendDueNow();

    // Both passes on a thread of their own, until stop().
    void start();
    void stop();

private:
    enum class Plan { Nothing, Queued, Later };
    Plan planOne(WriteTx& tx, const std::string& conversationId, Clock::time_point now);
    void sendOne(const OutboxMail& mail);
    std::chrono::milliseconds backoff(int attempts) const;

    Store& m_store;
    MailTransport& m_transport;
    const CustomerConnections& m_connections;
    const Clock& m_clock;
    ReplyMailOptions m_options;
    Clock::time_point m_startedAt;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace parley::server
