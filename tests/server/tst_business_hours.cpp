// The business-hours rules (domain/BusinessHours): open or closed at a point in time, the next
// opening, across day boundaries and daylight-saving changes, closed days, and what the admin
// may not set (from == to, an unknown zone). No server, no database.
#include "domain/BusinessHours.h"
#include "util/Text.h"

#include <QTest>

#include <stdexcept>

using nlohmann::json;
using parley::server::BusinessHours;

namespace {

BusinessHours::time_point at(const char* rfc3339) {
    const auto t = parley::server::parseRfc3339(rfc3339);
    if (!t)
        throw std::invalid_argument(rfc3339);
    return *t;
}

std::string next(const BusinessHours& h, const char* when) {
    const auto n = h.nextOpenAfter(at(when));
    return n ? parley::server::formatRfc3339(*n) : std::string("none");
}

json weekdays9to17(const char* zone) {
    json weekly = json::array();
    for (const char* d : {"mon", "tue", "wed", "thu", "fri"})
        weekly.push_back({{"day", d}, {"from", "09:00"}, {"to", "17:00"}});
    return {{"timezone", zone}, {"weekly", weekly}};
}

} // namespace

class TestBusinessHours : public QObject {
    Q_OBJECT

private slots:
    void dayBoundaryInTheShopsZone() {
        // Berlin in winter is UTC+1: Monday 09:00 local is 08:00Z; Friday 17:00 local is 16:00Z.
        const auto h = BusinessHours::fromJson(weekdays9to17("Europe/Berlin"));
        QVERIFY(!h.openAt(at("2026-01-05T07:59:59Z"))); // Mon 08:59:59 local
        QVERIFY(h.openAt(at("2026-01-05T08:00:00Z")));  // Mon 09:00 local
        QVERIFY(h.openAt(at("2026-01-05T15:59:59Z")));  // Mon 16:59:59 local
        QVERIFY(!h.openAt(at("2026-01-05T16:00:00Z"))); // Mon 17:00 local: `to` is exclusive
        // 23:30Z on Sunday is already Monday 00:30 in Berlin: closed, opens at 09:00 local.
        QCOMPARE(next(h, "2026-01-04T23:30:00Z"), std::string("2026-01-05T08:00:00.000Z"));
        // After Friday's close the next opening is Monday's.
        QCOMPARE(next(h, "2026-01-09T16:00:00Z"), std::string("2026-01-12T08:00:00.000Z"));
        // While open there is no next opening to announce.
        QCOMPARE(next(h, "2026-01-05T10:00:00Z"), std::string("none"));
    }

    void midnightInAZoneWestOfUtc() {
        // New York: Friday 23:00 local is Saturday 04:00Z; a UTC-day reading would call it Saturday.
        json hours{{"timezone", "America/New_York"},
                   {"weekly", {{{"day", "fri"}, {"from", "20:00"}, {"to", "24:00"}}}}};
        const auto h = BusinessHours::fromJson(hours);
        QVERIFY(h.openAt(at("2026-01-10T04:00:00Z")));
        QVERIFY(!h.openAt(at("2026-01-10T05:00:00Z"))); // Saturday 00:00 local
        QCOMPARE(h.toJson()["weekly"][0]["to"].get<std::string>(), std::string("24:00"));
    }

    void daylightSavingChangeInBerlin() {
        // Sunday 2026-03-29: clocks go from 02:00 to 03:00 (UTC+1 -> UTC+2).
        json hours{{"timezone", "Europe/Berlin"},
                   {"weekly",
                    {{{"day", "sun"}, {"from", "02:30"}, {"to", "04:00"}},
                     {{"day", "mon"}, {"from", "09:00"}, {"to", "17:00"}}}}};
        const auto h = BusinessHours::fromJson(hours);
        // 02:30 does not exist that night: the shop opens when the gap ends, 03:00 CEST = 01:00Z.
        QCOMPARE(next(h, "2026-03-29T00:30:00Z"), std::string("2026-03-29T01:00:00.000Z"));
        QVERIFY(h.openAt(at("2026-03-29T01:30:00Z")));  // 03:30 CEST
        QVERIFY(!h.openAt(at("2026-03-29T02:00:00Z"))); // 04:00 CEST
        // Monday 09:00 is now UTC+2: 07:00Z, one hour earlier in UTC than the week before.
        QCOMPARE(next(h, "2026-03-29T12:00:00Z"), std::string("2026-03-30T07:00:00.000Z"));
        QCOMPARE(next(h, "2026-03-22T12:00:00Z"), std::string("2026-03-23T08:00:00.000Z"));
        // Autumn, 2026-10-25: 02:00-03:00 happens twice; the earlier instant counts.
        json autumn{{"timezone", "Europe/Berlin"},
                    {"weekly", {{{"day", "sun"}, {"from", "02:30"}, {"to", "24:00"}}}}};
        QCOMPARE(next(BusinessHours::fromJson(autumn), "2026-10-24T22:00:00Z"),
                 std::string("2026-10-25T00:30:00.000Z"));
    }

    void closedDays() {
        const auto h = BusinessHours::fromJson(weekdays9to17("Europe/Berlin"));
        QVERIFY(!h.openAt(at("2026-01-10T12:00:00Z"))); // Saturday noon
        QVERIFY(!h.openAt(at("2026-01-11T12:00:00Z"))); // Sunday noon
        QCOMPARE(next(h, "2026-01-10T12:00:00Z"), std::string("2026-01-12T08:00:00.000Z"));
        // A week with no slot at all: never open, and no next opening.
        const auto never = BusinessHours::fromJson({{"timezone", "UTC"}, {"weekly", json::array()}});
        QVERIFY(!never.openAt(at("2026-01-05T12:00:00Z")));
        QCOMPARE(next(never, "2026-01-05T12:00:00Z"), std::string("none"));
        // Only next week's same weekday: seven days ahead, not lost.
        const auto mondays = BusinessHours::fromJson(
            {{"timezone", "UTC"}, {"weekly", {{{"day", "mon"}, {"from", "09:00"}, {"to", "10:00"}}}}});
        QCOMPARE(next(mondays, "2026-01-05T10:00:00Z"), std::string("2026-01-12T09:00:00.000Z"));
    }

    void fromEqualToIsRefused() {
        json hours{{"timezone", "Europe/Berlin"},
                   {"weekly", {{{"day", "mon"}, {"from", "09:00"}, {"to", "09:00"}}}}};
        try {
            BusinessHours::fromJson(hours);
            QFAIL("from == to was accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).starts_with("business_hours.weekly[0].to"), e.what());
        }
    }

    void badInputNamesTheField_data() {
        QTest::addColumn<QString>("hours");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown zone") << R"({"timezone":"Mars/Olympus","weekly":[]})"
                                      << "business_hours.timezone";
        QTest::newRow("no zone") << R"({"weekly":[]})"
                                 << "business_hours.timezone";
        QTest::newRow("no weekly") << R"({"timezone":"UTC"})"
                                   << "business_hours.weekly";
        QTest::newRow("bad day")
            << R"({"timezone":"UTC","weekly":[{"day":"mo","from":"09:00","to":"10:00"}]})"
            << "business_hours.weekly[0].day";
        QTest::newRow("bad from")
            << R"({"timezone":"UTC","weekly":[{"day":"mon","from":"9:00","to":"10:00"}]})"
            << "business_hours.weekly[0].from";
        QTest::newRow("24:00 as from")
            << R"({"timezone":"UTC","weekly":[{"day":"mon","from":"24:00","to":"24:00"}]})"
            << "business_hours.weekly[0].from";
        QTest::newRow("to before from")
            << R"({"timezone":"UTC","weekly":[{"day":"mon","from":"10:00","to":"09:00"}]})"
            << "business_hours.weekly[0].to";
        QTest::newRow("not an object") << R"("always")"
                                       << "business_hours";
    }
    void badInputNamesTheField() {
        QFETCH(QString, hours);
        QFETCH(QString, field);
        try {
            BusinessHours::fromJson(json::parse(hours.toStdString()));
            QFAIL("accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).starts_with(field.toStdString() + " "), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestBusinessHours)
#include "tst_business_hours.moc"
