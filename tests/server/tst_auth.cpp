// Token signing and password hashing.
#include "auth/PasswordHasher.h"
#include "auth/TokenSigner.h"
#include "util/Text.h"

#include <QTest>

#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace parley::server;

class TestAuth : public QObject {
    Q_OBJECT
private slots:
    void customerTokenRoundTrip() {
        ManualClock clock;
        TokenSigner signer("secret-one-32-bytes-long-xxxxxxx", clock);
        const auto token = signer.issueCustomer("session-1");
        auto v = signer.verify(token);
        QVERIFY(v);
        auto* c = std::get_if<CustomerIdentity>(&v->caller);
        QVERIFY(c);
        QCOMPARE(c->sessionId, std::string("session-1"));
        // A restart with the same secret accepts it; customer tokens do not expire.
        clock.advance(std::chrono::hours(24 * 365));
        QVERIFY(TokenSigner("secret-one-32-bytes-long-xxxxxxx", clock).verify(token));
    }

    // A token is HMAC-SHA256 as the contract's clients and earlier servers computed it: one signed
    // outside Parley (Python's hmac module) is accepted, and Parley issues the same string.
    void tokensAreStandardHmacSha256() {
        ManualClock clock;
        TokenSigner signer("secret-one-32-bytes-long-xxxxxxx", clock);
        const std::string token =
            "eyJzaWQiOiJzLTEiLCJ0eXAiOiJjIn0.Dk76mLMchC6OY3NxlG82AGp44WV199f6U7MmM1_y7Pc";
        QCOMPARE(signer.issueCustomer("s-1"), token);
        const auto v = signer.verify(token);
        QVERIFY(v);
        QCOMPARE(std::get<CustomerIdentity>(v->caller).sessionId, std::string("s-1"));
    }

    void forgedTruncatedResignedAreRejected() {
        ManualClock clock;
        TokenSigner signer("secret-one", clock);
        TokenSigner other("secret-two", clock);
        const auto token = signer.issueCustomer("session-1");
        QVERIFY(!signer.verify(token.substr(0, token.size() - 1))); // truncated signature
        QVERIFY(!signer.verify(token.substr(0, token.find('.'))));  // no signature
        QVERIFY(!signer.verify(""));
        QVERIFY(!signer.verify("."));
        QVERIFY(!signer.verify(other.issueCustomer("session-1"))); // signed with another secret
        // A payload changed to another session, keeping the old signature.
        const auto forgedPayload = base64UrlEncode(std::string(R"({"typ":"c","sid":"session-2"})"));
        QVERIFY(!signer.verify(forgedPayload + token.substr(token.find('.'))));
        // Flipping one character of the signature.
        auto flipped = token;
        flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
        QVERIFY(!signer.verify(flipped));
    }

    void agentTokensExpire() {
        ManualClock clock;
        TokenSigner signer("secret", clock);
        const auto token = signer.issueAgent("agent-1", "session-9", clock.now() + std::chrono::hours(12));
        auto v = signer.verify(token);
        QVERIFY(v);
        QCOMPARE(std::get<AgentIdentity>(v->caller).agentId, std::string("agent-1"));
        QCOMPARE(std::get<AgentIdentity>(v->caller).sessionId, std::string("session-9"));
        clock.advance(std::chrono::hours(11));
        QVERIFY(signer.verify(token));
        clock.advance(std::chrono::hours(2));
        QVERIFY(!signer.verify(token));
    }

    void passwordHashes() {
        const auto h = passwords::hash("correct horse", 1000);
        QVERIFY(h.rfind("pbkdf2-sha256$1000$", 0) == 0);
        QVERIFY(passwords::verify("correct horse", h));
        QVERIFY(!passwords::verify("correct horsE", h));
        QVERIFY(!passwords::verify("", h));
        QVERIFY(passwords::hash("same", 1000) != passwords::hash("same", 1000)); // salted
        QVERIFY(!passwords::verify("x", "garbage"));
        QVERIFY(!passwords::verify("x", "pbkdf2-sha256$0$AA$AA"));
        // The production default is slow on purpose.
        QVERIFY(passwords::kIterations >= 200000);
        QVERIFY(passwords::hash("pw").rfind("pbkdf2-sha256$" + std::to_string(passwords::kIterations) + "$",
                                            0) == 0);
    }

    void textHelpers() {
        QVERIFY(isValidUtf8("héllo €"));
        QVERIFY(!isValidUtf8("\xC3"));             // truncated
        QVERIFY(!isValidUtf8("\xC0\xAF"));         // overlong
        QVERIFY(!isValidUtf8("\xED\xA0\x80"));     // surrogate
        QVERIFY(!isValidUtf8("\xF4\x90\x80\x80")); // past U+10FFFF
        QCOMPARE(utf8Length("héllo €"), std::size_t(7));
        QVERIFY(isUuid(newUuid()));
        QCOMPARE(newUuid()[14], '4');
        // Version 7: the time in front, so that ids sort in the order they were made.
        const auto early = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764050199123));
        const auto v7 = newTimeOrderedUuid(early);
        QVERIFY(isUuid(v7));
        QCOMPARE(v7.substr(0, 13), std::string("019ab995-e253")); // 1764050199123 = 0x019ab995e253
        QCOMPARE(v7[14], '7');
        QVERIFY(std::string("89ab").find(v7[19]) != std::string::npos); // RFC 9562 variant
        QVERIFY(newTimeOrderedUuid(early + std::chrono::milliseconds(1)) > v7);
        QVERIFY(newTimeOrderedUuid(early) != v7); // 74 random bits
        QVERIFY(!isUuid("not-a-uuid"));
        QCOMPARE(*base64UrlDecode(base64UrlEncode(std::string("any\0bytes", 9))),
                 std::string("any\0bytes", 9));
        const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1764050199123));
        QCOMPARE(formatRfc3339(t), std::string("2025-11-25T05:56:39.123Z"));
        QVERIFY(parseRfc3339(formatRfc3339(t)) == t);
    }

    // Ids draw their random bits from a per-thread block of 256 ids' worth: across many blocks
    // and two threads, every id is new and well formed.
    void idsStayUniqueAcrossRandomBlocks() {
        constexpr int kPerThread = 3000; // about 12 blocks each
        std::vector<std::string> a, b;
        auto make = [](std::vector<std::string>& out) {
            for (int i = 0; i < kPerThread; ++i)
                out.push_back(i % 2 ? newUuid() : newTimeOrderedUuid());
        };
        std::thread other([&] { make(b); });
        make(a);
        other.join();
        std::set<std::string> all(a.begin(), a.end());
        all.insert(b.begin(), b.end());
        QCOMPARE(all.size(), std::size_t(2 * kPerThread));
        for (const auto* ids : {&a, &b})
            for (std::size_t i = 0; i < ids->size(); ++i) {
                const auto& id = (*ids)[i];
                QVERIFY2(isUuid(id), id.c_str());
                QCOMPARE(id[14], i % 2 ? '4' : '7');
                QVERIFY(std::string("89ab").find(id[19]) != std::string::npos);
                // Never the zeros a handed-out part of the block is left as.
                QVERIFY2(id.substr(24) != "000000000000", id.c_str());
            }
    }
};

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
