// The bot through the real server: FAQ keywords via the admin calls, the bot settings (GET/PUT
// /admin/settings), a request for a person, greetings and thanks, and deactivated entries.
#include "ApiTestBase.h"

using namespace parley::test;

class TestApiBot : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

    // The bot's reply to one customer message in a fresh conversation.
    json botReply(const std::string& content) {
        auto [token, id] = f.customerWithConversation();
        const auto r =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", content}}, token);
        if (r.status != 201 || r.body["replies"].size() != 1)
            return json{{"unexpected", r.describe()}};
        return r.body["replies"][0];
    }

private slots:
    void initTestCase() { QVERIFY(f.start()); }

    void keywordsRoundTrip() {
        const json entry{{"slug", "vouchers"},
                         {"question", "Do you sell vouchers?"},
                         {"answer", "Yes: vouchers from 10 to 500 EUR, by e-mail."},
                         {"keywords", "gift card, present, Geschenkgutschein"}};
        const auto created = http().post("/api/v1/admin/faq", entry, f.adminToken);
        QCOMPARE(created.status, 201);
        QCOMPARE_JSON(created.body["keywords"], entry["keywords"]);
        auto listed = http().get("/api/v1/admin/faq", f.adminToken).body["faq"];
        const auto it =
            std::find_if(listed.begin(), listed.end(), [](auto& e) { return e["slug"] == "vouchers"; });
        QVERIFY(it != listed.end());
        QCOMPARE_JSON((*it)["keywords"], entry["keywords"]);
        // The bot answers on a keyword that is nowhere in question or answer.
        QCOMPARE_JSON(botReply("do you have gift cards?")["metadata"]["faq_slug"], json("vouchers"));

        // A partial update keeps the keywords; naming them changes them.
        QCOMPARE_JSON(
            http().put("/api/v1/admin/faq/vouchers", {{"display_order", 7}}, f.adminToken).body["keywords"],
            entry["keywords"]);
        const auto changed = http().put("/api/v1/admin/faq/vouchers", {{"keywords", "coupon"}}, f.adminToken);
        QCOMPARE(changed.status, 200);
        QCOMPARE_JSON(changed.body["keywords"], json("coupon"));

        // An entry created without keywords has "".
        const auto plain =
            http().post("/api/v1/admin/faq", {{"slug", "plain"}, {"question", "Plain?"}, {"answer", "Yes."}},
                        f.adminToken);
        QCOMPARE_JSON(plain.body["keywords"], json(""));

        // Up to 1,000 characters (code points, not bytes); more is a 400 that names the field.
        const std::string atLimit = std::string(998, 'k') + "ü";
        QCOMPARE(http().put("/api/v1/admin/faq/plain", {{"keywords", atLimit}}, f.adminToken).status, 200);
        const auto tooLong =
            http().put("/api/v1/admin/faq/plain", {{"keywords", atLimit + "xx"}}, f.adminToken);
        QCOMPARE(tooLong.status, 400);
        QCOMPARE(tooLong.errorCode(), std::string("invalid_request"));
        QVERIFY(tooLong.body["error"]["message"].get<std::string>().find("keywords") != std::string::npos);
        QCOMPARE(http().put("/api/v1/admin/faq/plain", {{"keywords", 5}}, f.adminToken).status, 400);
        QCOMPARE(http().get("/api/v1/admin/faq", f.adminToken).body.dump().find(atLimit + "xx"),
                 std::string::npos);
        QCOMPARE(http().del("/api/v1/admin/faq/plain", f.adminToken).status, 204);
    }

    void settingsGetAndPut() {
        const auto initial = http().get("/api/v1/admin/settings", f.adminToken);
        QCOMPARE(initial.status, 200);
        const json bot = initial.body["bot"];
        for (const char* key : {"greeting", "fallback", "handoff_offer", "thanks", "identity"})
            QVERIFY2(bot[key].is_string() && !bot[key].get<std::string>().empty(), key);
        QCOMPARE_JSON(bot["language"], json("english"));

        // PUT changes what it names and keeps the rest.
        const auto put = http().put("/api/v1/admin/settings",
                                    {{"bot", {{"fallback", "Das weiß ich leider nicht."}}}}, f.adminToken);
        QCOMPARE(put.status, 200);
        QCOMPARE_JSON(put.body["bot"]["fallback"], json("Das weiß ich leider nicht."));
        QCOMPARE_JSON(put.body["bot"]["greeting"], bot["greeting"]);
        QCOMPARE_JSON(put.body["bot"]["handoff_offer"], bot["handoff_offer"]);
        QCOMPARE_JSON(http().get("/api/v1/admin/settings", f.adminToken).body, put.body);
        const auto other =
            http().put("/api/v1/admin/settings", {{"bot", {{"greeting", "Hallo!"}}}}, f.adminToken);
        QCOMPARE_JSON(other.body["bot"]["fallback"], json("Das weiß ich leider nicht."));
        QCOMPARE(http().put("/api/v1/admin/settings", json::object(), f.adminToken).status, 200);
        QCOMPARE_JSON(http().get("/api/v1/admin/settings", f.adminToken).body["bot"]["greeting"],
                      json("Hallo!"));

        // The bot speaks the new texts at once: a new conversation's greeting, an unknown message.
        const auto c = http().newCustomer();
        const auto opened = http().post("/api/v1/conversations", json::object(), c.token);
        QCOMPARE_JSON(opened.body["messages"][0]["content"], json("Hallo!"));
        QCOMPARE_JSON(botReply("zxqv blorf")["content"], json("Das weiß ich leider nicht."));

        // Validation: clear 400s, nothing half-applied.
        for (const json& bad : {json{{"bot", {{"greeting", ""}}}}, json{{"bot", {{"greeting", 7}}}},
                                json{{"bot", "text"}}, json{{"bot", {{"language", "klingon"}}}},
                                json{{"bot", {{"thanks", "ok"}, {"handoff_offer", std::string(1001, 'x')}}}},
                                json{{"bot", {{"identity", ""}}}}}) {
            const auto r = http().put("/api/v1/admin/settings", bad, f.adminToken);
            QVERIFY2(r.status == 400, r.describe().c_str());
            QCOMPARE(r.errorCode(), std::string("invalid_request"));
            QVERIFY(r.body["error"]["message"].get<std::string>().find("bot") != std::string::npos);
        }
        QCOMPARE(http().raw("PUT", "/api/v1/admin/settings", "[1]", f.adminToken).status, 400);
        QCOMPARE_JSON(http().get("/api/v1/admin/settings", f.adminToken).body["bot"]["thanks"],
                      bot["thanks"]);

        // Admins only.
        const auto agent = f.createAgent("settings-agent", 2, false);
        QCOMPARE(http().get("/api/v1/admin/settings", agent.token).status, 403);
        QCOMPARE(http().put("/api/v1/admin/settings", {{"bot", {{"greeting", "x"}}}}, agent.token).status,
                 403);
        QCOMPARE(http().get("/api/v1/admin/settings", http().newCustomer().token).status, 403);
        QCOMPARE(http().get("/api/v1/admin/settings").status, 401);

        // null puts a text back to its default.
        const auto reset =
            http().put("/api/v1/admin/settings", {{"bot", {{"greeting", nullptr}, {"fallback", nullptr}}}},
                       f.adminToken);
        QCOMPARE_JSON(reset.body["bot"], bot);
    }

    void aPersonRequestOffersTheHandoff() {
        const auto offer = http().get("/api/v1/admin/settings", f.adminToken).body["bot"]["handoff_offer"];
        for (const char* message : {"talk to a person", "real person please", "can I speak to a human?"}) {
            const auto reply = botReply(message);
            QVERIFY2(reply["metadata"]["offer_handoff"] == json(true), reply.dump().c_str());
            QVERIFY2(!reply["metadata"].contains("faq_slug"), reply.dump().c_str());
            QCOMPARE_JSON(reply["metadata"]["intent"], json("handoff"));
            QCOMPARE_JSON(reply["content"], offer);
        }
        // It offers, it does not hand off: the conversation is still automated.
        auto [token, id] = f.customerWithConversation();
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "agent please"}}, token);
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["status"], json("automated"));
        // The entry that asks exactly that is still answered.
        QCOMPARE_JSON(botReply("When can I reach a person?")["metadata"]["faq_slug"], json("contact-hours"));
        // A request for a person turned down is none: the fallback, no "handoff" intent.
        QVERIFY(!botReply("I do not need an agent")["metadata"].contains("intent"));
    }

    void greetingsAndThanks() {
        const auto texts = http().get("/api/v1/admin/settings", f.adminToken).body["bot"];
        const auto hello = botReply("hello!");
        QCOMPARE_JSON(hello["content"], texts["greeting"]);
        QCOMPARE_JSON(hello["metadata"]["intent"], json("greeting"));
        QVERIFY(!hello["metadata"].contains("faq_slug"));
        const auto thanks = botReply("thanks a lot");
        QCOMPARE_JSON(thanks["content"], texts["thanks"]);
        QCOMPARE_JSON(thanks["metadata"]["intent"], json("thanks"));
        QVERIFY(!thanks["metadata"].contains("faq_slug"));
    }

    // "Are you a bot?": the identity text (the shop's, once set), with the way to a person.
    void askingIfItIsABot() {
        const auto texts = http().get("/api/v1/admin/settings", f.adminToken).body["bot"];
        for (const char* message : {"are you a bot?", "is this a real person?", "bist du ein Bot?"}) {
            const auto reply = botReply(message);
            QCOMPARE_JSON(reply["content"], texts["identity"]);
            QCOMPARE_JSON(reply["metadata"]["intent"], json("identity"));
            QVERIFY2(reply["metadata"]["offer_handoff"] == json(true), reply.dump().c_str());
            QVERIFY2(!reply["metadata"].contains("faq_slug"), reply.dump().c_str());
        }
        QCOMPARE(http()
                     .put("/api/v1/admin/settings", {{"bot", {{"identity", "Ja, ich bin ein Bot."}}}},
                          f.adminToken)
                     .status,
                 200);
        QCOMPARE_JSON(botReply("are you human?")["content"], json("Ja, ich bin ein Bot."));
        http().put("/api/v1/admin/settings", {{"bot", {{"identity", nullptr}}}}, f.adminToken);
    }

    void aDeactivatedEntryIsNeverAnswered() {
        QCOMPARE_JSON(botReply("when will I get my refund?")["metadata"]["faq_slug"], json("refunds"));
        QCOMPARE(http().put("/api/v1/admin/faq/refunds", {{"is_active", false}}, f.adminToken).status, 200);
        for (const char* message : {"when will I get my refund?", "refund", "I want my money back"}) {
            const auto reply = botReply(message);
            QVERIFY2(!reply["metadata"].contains("faq_slug"), reply.dump().c_str());
            QCOMPARE_JSON(reply["metadata"]["matched"], json(false));
            for (const auto& s : reply["metadata"]["suggestions"])
                QVERIFY(s["slug"] != json("refunds"));
        }
        QCOMPARE(http().put("/api/v1/admin/faq/refunds", {{"is_active", true}}, f.adminToken).status, 200);
        QCOMPARE_JSON(botReply("refund")["metadata"]["faq_slug"], json("refunds"));
    }

    void settingsSurviveARestart() {
        QCOMPARE(http()
                     .put("/api/v1/admin/settings", {{"bot", {{"thanks", "Gern geschehen!"}}}}, f.adminToken)
                     .status,
                 200);
        QVERIFY(f.server.restart());
        f.http = std::make_unique<HttpClient>(f.server.httpPort());
        f.adminToken = http().login("admin", ServerProcess::kAdminPassword);
        QCOMPARE_JSON(http().get("/api/v1/admin/settings", f.adminToken).body["bot"]["thanks"],
                      json("Gern geschehen!"));
        QCOMPARE_JSON(botReply("thank you")["content"], json("Gern geschehen!"));
    }
};

QTEST_GUILESS_MAIN(TestApiBot)
#include "tst_api_bot.moc"
