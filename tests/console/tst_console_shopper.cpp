// How the console names a shopper and says where it is, and how it finds links in a message.
// No server: pure functions of the conversation.
#include "core/Shopper.h"
#include "core/Util.h"

#include <parley/protocol/Codec.h>

#include <QTest>

using namespace parley::console;
namespace proto = parley::protocol;

class TestShopper : public QObject {
    Q_OBJECT
private:
    static proto::Conversation conversation(const nlohmann::json& j) { return j.get<proto::Conversation>(); }
    // A conversation as a v1 server sends it.
    static nlohmann::json v1() {
        return {{"id", "c1"},
                {"customer_session_id", "3f0c2a9e-5b7d-4c1e-9a8f-2d6b1e4c7a90"},
                {"status", "agent"},
                {"assigned_agent_id", nullptr},
                {"requested_agent_at", nullptr},
                {"closed_at", nullptr},
                {"created_at", "2026-11-26T10:00:00Z"},
                {"updated_at", "2026-11-26T10:00:00Z"},
                {"queue_position", 1}};
    }

private slots:
    // The same in every run and on every machine: a fixed id gives a fixed code, computed once by
    // hand (SHA-256, first 20 bits, Crockford base32) and written here.
    void codeIsStableAcrossRuns() {
        QCOMPARE(shopperCode("3f0c2a9e-5b7d-4c1e-9a8f-2d6b1e4c7a90"), QStringLiteral("BQGJ"));
        QCOMPARE(shopperCode("00000000-0000-0000-0000-000000000000"), QStringLiteral("5E9Q"));
        QVERIFY(shopperCode("a") != shopperCode("b"));
        // Nothing people misread: no I, L, O, U.
        for (int i = 0; i < 2000; ++i) {
            const QString code = shopperCode(std::to_string(i));
            QCOMPARE(code.size(), 4);
            for (QChar ch : code)
                QVERIFY(!QStringLiteral("ILOU").contains(ch));
        }
    }

    void v1ConversationIsAShopperCode() {
        const auto c = conversation(v1());
        QVERIFY(!c.contact);
        QVERIFY(c.context.empty());
        QCOMPARE(shopperLabel(c), QStringLiteral("Shopper BQGJ"));
        QCOMPARE(shopperDetail(c), QStringLiteral("Shopper BQGJ"));
        QCOMPARE(pageLabel(c), QString());
        QVERIFY(!pageUrl(c).isValid());
        // And it goes back out with no contact, an empty context and nothing read (v1.1 always
        // sends the context and the read marks: clients ignore fields they do not know).
        QVERIFY(!nlohmann::json(c).contains("contact"));
        QVERIFY(nlohmann::json(c)["context"] == nlohmann::json::object());
        QVERIFY(nlohmann::json(c)["agent_last_read_seq"] == 0);
    }

    // Contract v1.1: a contact names the shopper; the page context says where it is.
    void contactAndPageWhenTheServerSendsThem() {
        nlohmann::json j = v1();
        j["queue_position"] = nullptr;
        j["contact"] = {{"email", "jane@example.com"}, {"name", "Jane Doe"}};
        j["context"] = {
            {"page_url", "https://shop.example/checkout/"}, {"page_title", "Checkout"}, {"locale", "de-DE"}};
        j["customer_last_read_seq"] = 3;
        j["rating"] = nullptr;
        auto c = conversation(j);
        QCOMPARE(shopperLabel(c), QStringLiteral("Jane Doe"));
        QCOMPARE(shopperDetail(c), QStringLiteral("Jane Doe <jane@example.com> \u00b7 Shopper BQGJ"));
        QCOMPARE(pageLabel(c), QStringLiteral("Checkout"));
        QCOMPARE(pageUrl(c), QUrl(QStringLiteral("https://shop.example/checkout/")));
        c.contact->name.reset();
        QCOMPARE(shopperLabel(c), QStringLiteral("jane@example.com"));
        c.context.pageTitle.reset();
        QCOMPARE(pageLabel(c), QStringLiteral("shop.example/checkout"));
        // Only web pages are offered to open.
        c.context.pageUrl = "javascript:alert(1)";
        QVERIFY(!pageUrl(c).isValid());
        // Round trip.
        QCOMPARE(nlohmann::json(c).get<proto::Conversation>(), c);
    }

    void linksInMessages() {
        const auto runs =
            linkRuns(QStringLiteral("See https://shop.example/p/42?c=blue, or www.example.org. Mail "
                                    "help@shop.example!"));
        QStringList links;
        QString text;
        for (const auto& r : runs) {
            text += r.text;
            if (!r.link.isEmpty())
                links << r.link.toString();
        }
        QCOMPARE(text,
                 QStringLiteral(
                     "See https://shop.example/p/42?c=blue, or www.example.org. Mail help@shop.example!"));
        QCOMPARE(links, (QStringList{QStringLiteral("https://shop.example/p/42?c=blue"),
                                     QStringLiteral("https://www.example.org"),
                                     QStringLiteral("mailto:help@shop.example")}));
        QCOMPARE(linkRuns(QStringLiteral("no links <b>here</b>")).size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestShopper)
#include "tst_console_shopper.moc"
