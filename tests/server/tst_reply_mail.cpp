// ReplyMailService in-process (issue 21): the decisions of reply mail on a ManualClock, a real
// SQLite store and a fake MailTransport. When a mail is due, for whom, how often, and how a
// failing SMTP server is retried and finally given up.
#include "app/AfterHoursService.h"
#include "app/ChatService.h"
#include "app/CustomerConnections.h"
#include "app/ReplyMailService.h"
#include "auth/TokenSigner.h"
#include "store/SqliteStore.h"
#include "util/Text.h"

#include <QTemporaryDir>
#include <QTest>

using namespace parley::server;
using namespace std::chrono_literals;
using parley::protocol::Presence;

namespace {

class FakeTransport final : public MailTransport {
public:
    std::vector<OutgoingMail> sent;
    int calls = 0;
    bool failing = false;
    void send(const OutgoingMail& mail) override {
        ++calls;
        if (failing)
            throw std::runtime_error("SMTP: connection refused");
        sent.push_back(mail);
    }
};

} // namespace

class TestReplyMail : public QObject {
    Q_OBJECT
    std::unique_ptr<QTemporaryDir> m_dir;
    ManualClock m_clock;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenSigner> m_tokens;
    std::unique_ptr<ChatService> m_chat;
    std::unique_ptr<AfterHoursService> m_afterHours;
    std::unique_ptr<CustomerConnections> m_connections;
    FakeTransport m_transport;
    std::unique_ptr<ReplyMailService> m_mail;
    AgentIdentity m_agent;

    struct Chat {
        CustomerIdentity customer;
        std::string id;
    };
    Chat chatWithContact(const std::string& email) {
        Chat c{CustomerIdentity{m_chat->createCustomerSession().sessionId}, {}};
        c.id = m_chat->openConversation(c.customer).conversation.id;
        m_chat->handoff(c.customer, c.id);
        m_afterHours->setContact(c.customer, c.id, parley::protocol::Contact{email, std::string("Robin")});
        return c;
    }
    void reply(const Chat& c, const std::string& text) {
        ChatService::SendRequest r;
        r.content = text;
        m_chat->sendMessage(Caller{m_agent}, c.id, r);
    }
    std::vector<OutboxMail> outbox(const Chat& c) {
        return m_store->readResult([&](ReadTx& tx) { return tx.outboxMailsOf(c.id); });
    }

private slots:
    void init() {
        m_dir = std::make_unique<QTemporaryDir>();
        SqliteStore::Options o;
        o.sync = SqliteStore::Sync::Normal;
        m_store =
            std::make_unique<SqliteStore>(QString(m_dir->path() + "/parley.db").toStdString(), nullptr, o);
        m_tokens = std::make_unique<TokenSigner>(std::string(32, 's'), m_clock);
        m_chat = std::make_unique<ChatService>(*m_store, *m_tokens, m_clock);
        QVERIFY(m_chat->bootstrap("admin-password"));
        m_afterHours = std::make_unique<AfterHoursService>(*m_store, *m_chat, m_clock);
        const auto a = m_chat->createAgent({"sam", "Sam", "password-sam", 50});
        m_agent = AgentIdentity{a.id, parley::protocol::Role::Agent, ""};
        m_chat->setPresence(m_agent, Presence::Online);
        m_connections = std::make_unique<CustomerConnections>(m_clock);
        m_transport = FakeTransport{};
        ReplyMailOptions options;
        options.from = "shop@example.com";
        options.shopName = "Teapot Shop";
        options.delay = 120s;
        options.minInterval = 600s;
        options.retryFirst = 30s;
        options.maxAttempts = 3;
        m_mail = std::make_unique<ReplyMailService>(*m_store, m_transport, *m_connections, m_clock, options);
    }
    void cleanup() {
        m_mail.reset();
        m_afterHours.reset();
        m_chat.reset();
        m_store.reset();
    }

    void oneMailOnceTheDelayHasPassed() {
        const auto chat = chatWithContact("robin@example.com");
        reply(chat, "Your parcel left today.");
        m_clock.advance(10s);
        reply(chat, "It should arrive on Monday.");
        QCOMPARE(m_mail->planNow(), 0);
        m_clock.advance(109s); // 119 s after the first reply
        QCOMPARE(m_mail->planNow(), 0);
        m_clock.advance(2s);
        QCOMPARE(m_mail->planNow(), 1);
        QCOMPARE(m_mail->planNow(), 0); // never twice for the same replies
        QCOMPARE(m_mail->sendDueNow(), 1);
        QCOMPARE(m_transport.sent.size(), std::size_t(1));
        const auto& mail = m_transport.sent.front();
        QCOMPARE(mail.to, std::string("robin@example.com"));
        QCOMPARE(mail.from, std::string("shop@example.com"));
        QCOMPARE(mail.fromName, std::string("Teapot Shop"));
        QCOMPARE(mail.subject, std::string("Teapot Shop: replies to your chat"));
        QVERIFY(mail.body.find("Hello Robin,") != std::string::npos);
        QVERIFY(mail.body.find("Sam, ") != std::string::npos);
        QVERIFY(mail.body.find("Your parcel left today.") < mail.body.find("It should arrive on Monday."));
        QVERIFY(mail.body.find("It should arrive on Monday.") != std::string::npos);
        QVERIFY(mail.body.find("answer in the chat") != std::string::npos);
        QVERIFY(outbox(chat).empty()); // sent mails leave the outbox
        m_clock.advance(1h);
        QCOMPARE(m_mail->planNow(), 0);
        QCOMPARE(m_mail->sendDueNow(), 0);
    }

    // Several nodes run the sender on one outbox (issue 20): a mail one node is sending is not
    // another's to send, and one whose node died while sending goes out after the claim expires.
    void aMailIsSentByOneNodeOnly() {
        const auto chat = chatWithContact("twice@example.com");
        reply(chat, "One mail, whatever the number of nodes.");
        m_clock.advance(121s);
        QCOMPARE(m_mail->planNow(), 1);
        // The other node: its own service on the same store, its own transport.
        FakeTransport otherTransport;
        CustomerConnections otherConnections(m_clock);
        ReplyMailOptions options;
        options.from = "shop@example.com";
        ReplyMailService other(*m_store, otherTransport, otherConnections, m_clock, options);
        // While this node's SMTP server has the mail, the other node looks for due mails.
        struct SendingTransport final : MailTransport {
            ReplyMailService* other = nullptr;
            int otherSent = -1;
            std::vector<OutgoingMail> sent;
            void send(const OutgoingMail& mail) override {
                otherSent = other->sendDueNow();
                sent.push_back(mail);
            }
        } sending;
        sending.other = &other;
        ReplyMailService self(*m_store, sending, *m_connections, m_clock, options);
        QCOMPARE(self.sendDueNow(), 1);
        QCOMPARE(sending.otherSent, 0);
        QCOMPARE(otherTransport.sent.size(), std::size_t(0));
        QVERIFY(outbox(chat).empty());

        // A node that claimed a mail (its own write, before the send) and died: nobody sends it
        // before the claim runs out.
        reply(chat, "A second one, ten minutes later.");
        m_clock.advance(601s);
        QCOMPARE(m_mail->planNow(), 1);
        const auto before = outbox(chat);
        QCOMPARE(before.size(), std::size_t(1));
        m_store->write([&](WriteTx& tx) {
            auto claimed = before.front();
            claimed.nextAttemptAt = formatRfc3339(m_clock.now() + options.sendLease);
            tx.updateOutboxMail(claimed);
        });
        QCOMPARE(other.sendDueNow(), 0);
        m_clock.advance(options.sendLease + 1s);
        QCOMPARE(other.sendDueNow(), 1);
        QCOMPARE(otherTransport.sent.size(), std::size_t(1));
    }

    void readRepliesAreNotMailed() {
        const auto chat = chatWithContact("reader@example.com");
        reply(chat, "Here is your answer.");
        m_store->write(
            [&](WriteTx& tx) { tx.raiseLastReadSeq(chat.id, parley::protocol::SenderType::Customer, 1000); });
        m_clock.advance(5min);
        QCOMPARE(m_mail->planNow(), 0);
        // Only what comes after the read mark counts.
        reply(chat, "And one more thing.");
        m_clock.advance(121s);
        QCOMPARE(m_mail->planNow(), 1);
        QCOMPARE(m_mail->sendDueNow(), 1);
        QVERIFY(m_transport.sent.front().body.find("Here is your answer.") == std::string::npos);
        QVERIFY(m_transport.sent.front().body.find("And one more thing.") != std::string::npos);
    }

    void aShopperWhoIsThereGetsNoneUntilTheDelayAfterLeaving() {
        const auto chat = chatWithContact("present@example.com");
        m_connections->connected(chat.customer.sessionId);
        reply(chat, "You are here.");
        m_clock.advance(10min);
        QCOMPARE(m_mail->planNow(), 0);
        m_connections->disconnected(chat.customer.sessionId);
        m_clock.advance(119s);
        QCOMPARE(m_mail->planNow(), 0);
        m_clock.advance(2s);
        QCOMPARE(m_mail->planNow(), 1);
    }

    void atMostOneMailPerConversationPerInterval() {
        const auto chat = chatWithContact("often@example.com");
        reply(chat, "First.");
        m_clock.advance(121s);
        QCOMPARE(m_mail->planNow(), 1); // at 121 s
        reply(chat, "Second.");
        m_clock.advance(5min);
        QCOMPARE(m_mail->planNow(), 0); // 421 s: within 10 minutes of the first mail
        m_clock.advance(5min);
        QCOMPARE(m_mail->planNow(), 1); // 721 s
        QCOMPARE(m_mail->sendDueNow(), 2);
        QVERIFY(m_transport.sent.back().body.find("Second.") != std::string::npos);
        QVERIFY(m_transport.sent.back().body.find("First.") == std::string::npos);
    }

    void noAddressNoMail() {
        Chat c{CustomerIdentity{m_chat->createCustomerSession().sessionId}, {}};
        c.id = m_chat->openConversation(c.customer).conversation.id;
        m_chat->handoff(c.customer, c.id);
        reply(c, "Nobody to mail.");
        m_clock.advance(1h);
        QCOMPARE(m_mail->planNow(), 0);
        QCOMPARE(m_transport.calls, 0);
    }

    void failuresAreRetriedWithBackoffThenGivenUp() {
        const auto chat = chatWithContact("down@example.com");
        reply(chat, "Hello?");
        m_clock.advance(121s);
        QCOMPARE(m_mail->planNow(), 1);
        m_transport.failing = true;
        QCOMPARE(m_mail->sendDueNow(), 0);
        QCOMPARE(m_transport.calls, 1);
        auto row = outbox(chat);
        QCOMPARE(row.size(), std::size_t(1));
        QCOMPARE(row[0].attempts, 1);
        QCOMPARE(row[0].lastError.value_or(""), std::string("SMTP: connection refused"));
        m_clock.advance(29s);
        m_mail->sendDueNow();
        QCOMPARE(m_transport.calls, 1); // not yet
        m_clock.advance(2s);
        m_mail->sendDueNow();
        QCOMPARE(m_transport.calls, 2); // after 30 s
        m_clock.advance(59s);
        m_mail->sendDueNow();
        QCOMPARE(m_transport.calls, 2); // the next wait is twice as long
        m_clock.advance(2s);
        m_mail->sendDueNow();
        QCOMPARE(m_transport.calls, 3); // the third and last attempt
        row = outbox(chat);
        QCOMPARE(row[0].attempts, 3);
        QVERIFY(row[0].failedAt.has_value());
        QVERIFY(!row[0].nextAttemptAt.has_value());
        m_transport.failing = false;
        m_clock.advance(1h);
        QCOMPARE(m_mail->sendDueNow(), 0);
        QCOMPARE(m_transport.calls, 3);
    }

    void theOutboxOutlivesTheService() {
        const auto chat = chatWithContact("later@example.com");
        reply(chat, "Kept for later.");
        m_clock.advance(121s);
        QCOMPARE(m_mail->planNow(), 1);
        // A new service on the same store (a restart) sends what the old one queued, once.
        ReplyMailService again(*m_store, m_transport, *m_connections, m_clock, {});
        QCOMPARE(again.sendDueNow(), 1);
        QCOMPARE(m_mail->sendDueNow(), 0);
        QCOMPARE(m_transport.sent.size(), std::size_t(1));
    }
};

QTEST_MAIN(TestReplyMail)
#include "tst_reply_mail.moc"
