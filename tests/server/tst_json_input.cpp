// The strict reader for JSON from outside (util/Json): what it accepts is exactly nlohmann's
// document; it refuses duplicate keys, nesting past the limit (at once) and raw NUL bytes.
#include "util/Json.h"

#include <QTest>

using nlohmann::json;
using parley::server::kMaxJsonDepth;
using parley::server::parseJsonInput;

namespace {
std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}
} // namespace

class TestJsonInput : public QObject {
    Q_OBJECT

private slots:
    void acceptsWhatNlohmannAccepts() {
        for (const std::string& text :
             {std::string(R"({"a":1,"b":[true,null,"x",1.5,-2,{"c":{}}],"d":"\u00e9\ud83d\ude00"})"),
              std::string("[]"), std::string("\"s\""), std::string("  7 "), std::string("\xEF\xBB\xBF{}")}) {
            const auto r = parseJsonInput(text);
            QVERIFY2(r.ok(), r.error.c_str());
            QVERIFY(r.value == json::parse(text));
        }
    }

    void depthLimit() {
        QVERIFY(parseJsonInput(nested(kMaxJsonDepth)).ok());
        const auto r = parseJsonInput(nested(kMaxJsonDepth + 1));
        QCOMPARE(r.error, std::string("nests deeper than 32 levels."));
        // Far too deep, never closed: refused at the limit, not after reading it all.
        QVERIFY(!parseJsonInput(std::string(10'000'000, '[')).ok());
    }

    void duplicateKeys() {
        QCOMPARE(parseJsonInput(R"({"a":1,"a":2})").error, std::string("has the key \"a\" twice."));
        QVERIFY(!parseJsonInput(R"({"x":[{"a":1,"b":2,"a":3}]})").ok());
        QVERIFY(parseJsonInput(R"({"a":1,"A":2,"x":{"a":3}})").ok()); // other objects, other keys
        QCOMPARE(
            parseJsonInput("{\"" + std::string(100, 'k') + "\":1,\"" + std::string(100, 'k') + "\":2}").error,
            std::string("repeats a key."));
    }

    void malformedTextAndBytes() {
        for (const std::string& text :
             {std::string(""), std::string("{"), std::string("{\"a\":1,}"), std::string("[1] 2"),
              std::string("{\"a\":\"\xC0\xAF\"}"), std::string("\"\\ud800\""), std::string("{}\0", 3),
              std::string("\"a\0b\"", 5), std::string("NaN")}) {
            const auto r = parseJsonInput(text);
            QVERIFY(!r.ok());
            QVERIFY2(r.error.rfind("is not valid JSON (UTF-8)", 0) == 0, r.error.c_str());
            QVERIFY(nlohmann::json(r.error).dump().size() > 0); // the message itself is valid UTF-8
        }
    }
};

QTEST_GUILESS_MAIN(TestJsonInput)
#include "tst_json_input.moc"
