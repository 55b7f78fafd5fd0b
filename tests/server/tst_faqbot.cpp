// The FAQ bot's matching: words of question and answer, case, accents, plurals, typos, threshold.
#include "domain/DefaultFaq.h"
#include "domain/FaqBot.h"
#include "domain/TextMatcher.h"

#include <QTest>

using namespace parley::server;

class TestFaqBot : public QObject {
    Q_OBJECT
private slots:
    void normalization() {
        QCOMPARE(text::fold("Réfund ÇA Straße!"), std::string("refund ca strasse "));
        QCOMPARE(text::stem("refunds"), std::string("refund"));
        QCOMPARE(text::stem("shipping"), std::string("ship"));
        QCOMPARE(text::stem("deliveries"), std::string("delivery"));
        QCOMPARE(text::stem("returned"), text::stem("return"));
        QCOMPARE(text::editDistance("retrun", "return", 2), 1);  // transposition
        QCOMPARE(text::editDistance("kitten", "sitting", 1), 2); // stops early past the bound
        const auto t = text::terms("How do I return my ORDERS?");
        QCOMPARE(t, (std::vector<std::string>{"return", "order"}));
    }

    void matches_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("slug");
        QTest::newRow("question words") << "how long does shipping take"
                                        << "shipping-times";
        QTest::newRow("answer words") << "do you take paypal?"
                                      << "payment-methods";
        QTest::newRow("upper case") << "WHERE IS MY ORDER"
                                    << "order-tracking";
        QTest::newRow("accents") << "réfund"
                                 << "refunds";
        QTest::newRow("plural") << "refunds"
                                << "refunds";
        QTest::newRow("typo") << "retrun an item"
                              << "returns";
        QTest::newRow("typo long word") << "internationall shiping"
                                        << "international-shipping";
        QTest::newRow("synonym in answer") << "I want my money back"
                                           << "refunds";
        QTest::newRow("address") << "can I change the delivery address"
                                 << "change-address";
        QTest::newRow("broken") << "my item arrived broken"
                                << "damaged-item";
        QTest::newRow("hours") << "what time are you open"
                               << "contact-hours";
        QTest::newRow("cancel") << "cancel"
                                << "cancel-order";
    }
    void matches() {
        QFETCH(QString, text);
        QFETCH(QString, slug);
        FaqBot bot;
        const auto answer = bot.answer(text.toStdString(), defaultFaq());
        QVERIFY2(answer.entry, qPrintable(text));
        QCOMPARE(QString::fromStdString(answer.entry->slug), slug);
    }

    void noMatchOffersSuggestions_data() {
        QTest::addColumn<QString>("text");
        QTest::newRow("gibberish") << "asdfgh qwerty";
        QTest::newRow("greeting") << "hello";
        QTest::newRow("empty of content words") << "is it the";
        QTest::newRow("emoji") << "🙂🙂";
    }
    void noMatchOffersSuggestions() {
        QFETCH(QString, text);
        FaqBot bot;
        const auto answer = bot.answer(text.toStdString(), defaultFaq());
        QVERIFY(!answer.entry);
        QCOMPARE(answer.suggestions.size(), FaqBot::kSuggestions);
    }

    void onlyGivenEntriesAreUsed() {
        FaqBot bot;
        QVERIFY(!bot.answer("shipping", {}).entry);
        auto entries = defaultFaq();
        std::erase_if(entries, [](auto& e) { return e.slug == "refunds"; });
        const auto a = bot.answer("refund", entries);
        QVERIFY(!a.entry || a.entry->slug != "refunds");
    }
};

QTEST_GUILESS_MAIN(TestFaqBot)
#include "tst_faqbot.moc"
