#pragma once
// The shop's opening hours ("business_hours" in GET/PUT /api/v1/admin/settings) and the rules
// that read them: whether the shop is open at a point in time and when it opens next. Wall-clock
// hours in an IANA time zone (the system's tzdata, through Howard Hinnant's date/tz.h, since
// GCC 12 has no std::chrono::tzdb); no I/O beyond that zone data.
//
// Each weekly slot is one day's interval [from, to) in local time, from < to, "24:00" allowed as
// `to`: a shop open past midnight names two slots. A day with no slot is closed. When a local
// time does not exist (clocks spring forward), an opening inside the gap happens at the end of
// the gap; in the repeated hour of autumn the earlier instant counts.

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace parley::server {

class BusinessHours {
public:
    using time_point = std::chrono::system_clock::time_point;

    struct Slot {
        int weekday = 0;    // 0 = Sunday ... 6 = Saturday
        int fromMinute = 0; // minutes after local midnight
        int toMinute = 0;   // exclusive; up to 24 * 60
    };

    // {"timezone":"Europe/Berlin","weekly":[{"day":"mon","from":"09:00","to":"17:00"}...]}.
    // Throws std::invalid_argument with a message naming the field (business_hours.timezone,
    // business_hours.weekly[2].to, ...): an unknown zone, a bad day name or time, to <= from.
    static BusinessHours fromJson(const nlohmann::json& j);
    nlohmann::json toJson() const;

    const std::string& timezone() const { return m_timezone; }
    const std::vector<Slot>& slots() const { return m_slots; }

    bool openAt(time_point t) const;
    // The first instant after t at which the shop opens; nullopt while it is open at t or when
    // no day has a slot.
    std::optional<time_point> nextOpenAfter(time_point t) const;

private:
    std::string m_timezone;
    const date::time_zone* m_zone = nullptr;
    std::vector<Slot> m_slots; // in the order given
};

} // namespace parley::server
