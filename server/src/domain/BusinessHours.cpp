#include "domain/BusinessHours.h"

#include <date/tz.h>

#include <array>
#include <stdexcept>

namespace parley::server {

using nlohmann::json;

namespace {

constexpr std::array<const char*, 7> kDays = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

[[noreturn]] void fail(const std::string& field, const std::string& why) {
    throw std::invalid_argument(field + " " + why);
}

// "HH:MM" -> minutes after midnight; "24:00" only where allow24.
int parseTime(const json& v, const std::string& field, bool allow24) {
    if (!v.is_string())
        fail(field, "must be a time \"HH:MM\".");
    const auto& s = v.get_ref<const std::string&>();
    auto digit = [&s](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
    if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
        fail(field, "must be a time \"HH:MM\".");
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (allow24 && h == 24 && m == 0)
        return 24 * 60;
    if (h > 23 || m > 59)
        fail(field, "must be a time from 00:00 to 23:59" + std::string(allow24 ? " (or 24:00)." : "."));
    return h * 60 + m;
}

std::string formatTime(int minutes) { // 0 .. 24 * 60
    const auto h = static_cast<char>('0' + minutes / 60 / 10);
    return {h, static_cast<char>('0' + minutes / 60 % 10), ':', static_cast<char>('0' + minutes % 60 / 10),
            static_cast<char>('0' + minutes % 10)};
}

} // namespace

BusinessHours BusinessHours::fromJson(const json& j) {
    if (!j.is_object())
        fail("business_hours", "must be an object or null.");
    BusinessHours out;
    const auto tz = j.find("timezone");
    if (tz == j.end() || !tz->is_string() || tz->get_ref<const std::string&>().empty() ||
        tz->get_ref<const std::string&>().size() > 64)
        fail("business_hours.timezone", "must be an IANA time zone name such as \"Europe/Berlin\".");
    out.m_timezone = tz->get<std::string>();
    try {
        out.m_zone = date::locate_zone(out.m_timezone);
    } catch (const std::exception&) {
        fail("business_hours.timezone", "is not a known time zone: \"" + out.m_timezone + "\".");
    }
    const auto weekly = j.find("weekly");
    if (weekly == j.end() || !weekly->is_array())
        fail("business_hours.weekly", "must be an array of {\"day\",\"from\",\"to\"}.");
    if (weekly->size() > 7 * 24)
        fail("business_hours.weekly", "has too many slots (at most 168).");
    for (std::size_t i = 0; i < weekly->size(); ++i) {
        const auto& item = (*weekly)[i];
        const std::string at = "business_hours.weekly[" + std::to_string(i) + "]";
        if (!item.is_object())
            fail(at, "must be an object {\"day\",\"from\",\"to\"}.");
        Slot slot;
        const auto day = item.find("day");
        int weekday = -1;
        if (day != item.end() && day->is_string())
            for (int d = 0; d < 7; ++d)
                if (day->get_ref<const std::string&>() == kDays[static_cast<std::size_t>(d)])
                    weekday = d;
        if (weekday < 0)
            fail(at + ".day", "must be one of mon, tue, wed, thu, fri, sat, sun.");
        slot.weekday = weekday;
        const auto from = item.find("from");
        const auto to = item.find("to");
        slot.fromMinute = parseTime(from == item.end() ? json() : *from, at + ".from", false);
        slot.toMinute = parseTime(to == item.end() ? json() : *to, at + ".to", true);
        if (slot.toMinute <= slot.fromMinute)
            fail(at + ".to", "must be later than from on the same day (use \"24:00\" for midnight; a "
                             "shop open past midnight names the next day's slot too).");
        out.m_slots.push_back(slot);
    }
    return out;
}

json BusinessHours::toJson() const {
    json weekly = json::array();
    for (const auto& s : m_slots)
        weekly.push_back({{"day", kDays[static_cast<std::size_t>(s.weekday)]},
                          {"from", formatTime(s.fromMinute)},
                          {"to", formatTime(s.toMinute)}});
    return json{{"timezone", m_timezone}, {"weekly", std::move(weekly)}};
}

bool BusinessHours::openAt(time_point t) const {
    if (!m_zone)
        return false;
    const auto local = m_zone->to_local(date::floor<std::chrono::seconds>(t));
    const auto day = date::floor<date::days>(local);
    const int weekday = static_cast<int>(date::weekday(day).c_encoding());
    const auto minute = static_cast<int>(date::floor<std::chrono::minutes>(local - day).count());
    for (const auto& s : m_slots)
        if (s.weekday == weekday && s.fromMinute <= minute && minute < s.toMinute)
            return true;
    return false;
}

std::optional<BusinessHours::time_point> BusinessHours::nextOpenAfter(time_point t) const {
    if (!m_zone || m_slots.empty() || openAt(t))
        return std::nullopt;
    const auto now = date::floor<std::chrono::seconds>(t);
    const auto today = date::floor<date::days>(m_zone->to_local(now));
    // Today and the next seven days hold every weekday's first opening after t.
    std::optional<date::sys_seconds> best;
    for (int offset = 0; offset <= 7 && !best; ++offset) {
        const auto day = today + date::days(offset);
        const int weekday = static_cast<int>(date::weekday(day).c_encoding());
        for (const auto& s : m_slots) {
            if (s.weekday != weekday)
                continue;
            const auto opens =
                m_zone->to_sys(day + std::chrono::minutes(s.fromMinute), date::choose::earliest);
            if (opens > now && (!best || opens < *best))
                best = opens;
        }
    }
    if (!best)
        return std::nullopt;
    return time_point(best->time_since_epoch());
}

} // namespace parley::server
