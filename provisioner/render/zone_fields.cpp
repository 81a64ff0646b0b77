#include "provisioner/render/zone_fields.h"

#include <cctype>
#include <cstdio>

#include "provisioner/render/timezone.h"
#include "provisioner/tz/civil_time.h"

namespace prov {

namespace {

using tz::ChangeRule;
using tz::RuleDate;

constexpr int64_t kDay = 86400;

// Month and day of the month of a day since the epoch.
void monthDayOf(int64_t days, int& month, int& day) {
    const int64_t year = tz::yearOfDay(days);
    int64_t rest = days - tz::daysFromCivil(year, 1, 1);
    month = 1;
    while (month < 12 && rest >= tz::daysInMonth(year, month))
        rest -= tz::daysInMonth(year, month++);
    day = static_cast<int>(rest) + 1;
}

DstChange changeOf(const ChangeRule& c, int64_t year) {
    DstChange out;
    // Phones take a time of day: a POSIX time past midnight (or before it)
    // moves the change to the next (or an earlier) day.
    const int64_t shift = tz::floorDiv(c.time, kDay);
    const int64_t time = c.time - shift * kDay;
    out.hour = static_cast<int>(time / 3600);
    out.minute = static_cast<int>(time / 60 % 60);
    out.second = static_cast<int>(time % 60);
    out.by_week = c.date.form == RuleDate::Form::kMonthWeekDay;
    monthDayOf(tz::dayOf(c.date, year) + shift, out.month, out.day);
    if (out.by_week && shift != 0) {
        // The week stays and the weekday moves with the time, which is exact
        // unless the moved day crosses into another week of the month (or
        // month): Jerusalem's "Thursday before the last Sunday, 26:00" is the
        // last Friday only when that Thursday is not the month's last day.
        // Where it is not exact this year, phones get this year's date (they
        // fetch again before the next).
        RuleDate moved = c.date;
        moved.weekday = static_cast<int>(((c.date.weekday + shift) % 7 + 7) % 7);
        if (tz::dayOf(moved, year) == tz::dayOf(c.date, year) + shift)
            out.weekday = moved.weekday;
        else
            out.by_week = false;
    } else if (out.by_week) {
        out.weekday = c.date.weekday;
    }
    if (out.by_week) {
        out.month = c.date.month;
        out.week = c.date.week;
    }
    return out;
}

std::string lettersOr(const std::string& abbr, const char* fallback) {
    if (abbr.size() < 3) return fallback;
    for (char c : abbr) {
        if (!std::isalpha(static_cast<unsigned char>(c))) return fallback;
    }
    return abbr;
}

// True when daylight-saving time starts by January 1 and ends after
// December 31: the zone keeps its daylight-saving offset all year.
bool allYear(const tz::DstRule& dst, int64_t year) {
    const int64_t start = tz::dayOf(dst.start.date, year) * kDay + dst.start.time;
    const int64_t end = tz::dayOf(dst.end.date, year) * kDay + dst.end.time;
    return start <= tz::daysFromCivil(year, 1, 1) * kDay &&
           end >= tz::daysFromCivil(year + 1, 1, 1) * kDay;
}

std::string two(int n) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d", n);
    return buf;
}

// POSIX's offset: hours WEST, "-1" for UTC+1, "-5:30", "7" for UTC-7.
std::string posixOffset(int minutes_east) {
    const int west = -minutes_east;
    const int a = west < 0 ? -west : west;
    std::string out = (west < 0 ? "-" : "") + std::to_string(a / 60);
    if (a % 60) out += ":" + two(a % 60);
    return out;
}

// A change in POSIX form with an explicit time: "M3.5.0/02:00:00", or "J87/02:00:00" for a date.
std::string posixChange(const DstChange& c) {
    std::string out;
    if (c.by_week) {
        out = "M" + std::to_string(c.month) + "." + std::to_string(c.week) + "." +
              std::to_string(c.weekday);
    } else {
        // Jn never counts February 29: the day in a common year.
        int n = c.day;
        for (int m = 1; m < c.month; ++m) n += tz::daysInMonth(2025, m);
        out = "J" + std::to_string(n);
    }
    return out + "/" + two(c.hour) + ":" + two(c.minute) + ":" + two(c.second);
}

void addChange(ZoneVariables& v, const std::string& prefix, const DstChange& c) {
    auto& t = v.text;
    t[prefix + "month"] = std::to_string(c.month);
    t[prefix + "month2"] = two(c.month);
    t[prefix + "week"] = std::to_string(c.week);
    const bool last = c.by_week && c.week == 5;
    t[prefix + "week_or_minus1"] = last ? "-1" : std::to_string(c.week);
    t[prefix + "last01"] = last ? "1" : "0";
    t[prefix + "weekday"] = std::to_string(c.weekday);  // 0 Sunday .. 6
    t[prefix + "weekday_mon1"] =
        std::to_string(c.weekday == 0 ? 7 : c.weekday);          // 1 Monday .. 7 Sunday
    t[prefix + "weekday_sun1"] = std::to_string(c.weekday + 1);  // 1 Sunday .. 7 Saturday
    // English abbreviations, for rules written in words (Avaya's DSTSTART "2SunMar2L").
    static const char* const kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    t[prefix + "weekday_abbr"] = c.weekday >= 0 && c.weekday < 7 ? kWeekdays[c.weekday] : "";
    t[prefix + "month_abbr"] = c.month >= 1 && c.month <= 12 ? kMonths[c.month - 1] : "";
    t[prefix + "first_day"] =
        std::to_string((c.week - 1) * 7 + 1);  // first day the weekday may fall on
    t[prefix + "from_day"] =
        last ? "-1" : t[prefix + "first_day"];  // the same, -1 searching back from the end
    t[prefix + "day"] = std::to_string(c.day);
    t[prefix + "day2"] = two(c.day);
    t[prefix + "hour"] = std::to_string(c.hour);
    t[prefix + "hour2"] = two(c.hour);
    t[prefix + "minute"] = std::to_string(c.minute);
    t[prefix + "minute2"] = two(c.minute);
    t[prefix + "second"] = std::to_string(c.second);
    t[prefix + "second2"] = two(c.second);
    // Minutes after midnight (Panasonic DST_START_TIME "120" is 02:00).
    t[prefix + "minute_of_day"] = std::to_string(c.hour * 60 + c.minute);
    v.flags[prefix + "by_week"] = c.by_week;
    v.flags[prefix + "last"] = last;
    v.flags[prefix + "nth"] = c.by_week && !last;  // by week, not the last: a first day applies
}

}  // namespace

ZoneFields zoneFields(std::string name, const tz::PosixTz& rules, int64_t year) {
    ZoneFields z;
    z.name = std::move(name);
    z.std_abbr = lettersOr(rules.std_name, "STD");
    z.std_minutes = rules.std_utc_offset / 60;
    if (!rules.dst) return z;
    const tz::DstRule& dst = *rules.dst;
    if (allYear(dst, year)) {
        z.std_abbr = lettersOr(dst.name, "STD");
        z.std_minutes = dst.utc_offset / 60;
        return z;
    }
    ZoneDst d;
    d.minutes = dst.utc_offset / 60;
    d.start = changeOf(dst.start, year);
    d.end = changeOf(dst.end, year);
    z.dst_abbr = lettersOr(dst.name, "DST");
    if (d.minutes < z.std_minutes) {
        // Negative saving (Europe/Dublin: IST is "standard", GMT in winter
        // the "daylight-saving" time): phones only take a positive one.
        std::swap(d.minutes, z.std_minutes);
        std::swap(d.start, d.end);
        std::swap(z.std_abbr, z.dst_abbr);
    }
    d.save_minutes = d.minutes - z.std_minutes;
    if (d.save_minutes == 0) return z;
    z.dst = d;
    return z;
}

ZoneVariables zoneVariables(const ZoneFields& z) {
    ZoneVariables v;
    auto& t = v.text;
    const int m = z.std_minutes;
    t["tz_name"] = z.name;
    t["tz_offset"] = formatOffsetShort(m);
    t["tz_offset_seconds"] = std::to_string(m * 60);
    t["tz_offset_minutes"] = std::to_string(m);
    // West of Greenwich positive, as Aastra's "time zone minutes" counts.
    t["tz_offset_minutes_west"] = std::to_string(-m);
    t["tz_offset_quarter_hours"] = std::to_string(m / 15);
    t["tz_gmt"] = formatOffsetGmt(m);
    // Hours unpadded, minutes always: "+1:00", "+5:30", "-3:30" (ALE's SettingTimeZone, as Wazo writes it).
    {
        const int a = m < 0 ? -m : m;
        const std::string mm = std::to_string(a % 60);
        t["tz_offset_hm"] = std::string(m < 0 ? "-" : "+") + std::to_string(a / 60) + ":" +
                            (mm.size() < 2 ? "0" + mm : mm);
    }
    t["tz_posix"] = formatOffsetPosix(m);
    std::string rule = z.std_abbr + posixOffset(m);
    v.flags["tz_has_dst"] = z.dst.has_value();
    if (z.dst) {
        const ZoneDst& d = *z.dst;
        rule += z.dst_abbr + posixOffset(d.minutes) + "," + posixChange(d.start) + "," +
                posixChange(d.end);
        t["tz_dst_offset"] = formatOffsetShort(d.minutes);
        t["tz_dst_save_minutes"] = std::to_string(d.save_minutes);
        t["tz_dst_save_seconds"] = std::to_string(d.save_minutes * 60);
        t["tz_dst_save_hms"] =
            std::to_string(d.save_minutes / 60) + ":" + std::to_string(d.save_minutes % 60) + ":0";
        addChange(v, "tz_dst_start_", d.start);
        addChange(v, "tz_dst_end_", d.end);
        v.flags["tz_dst_by_week"] = d.start.by_week && d.end.by_week;
    } else {
        // Every flag is set either way: kainjow leaves a blank line for a
        // nested section, so templates test these at top level, never inside
        // tz_has_dst, and an absent flag would render an inverted section.
        v.flags["tz_dst_by_week"] = false;
        for (const char* end : {"tz_dst_start_", "tz_dst_end_"}) {
            for (const char* f : {"by_week", "last", "nth"}) v.flags[std::string(end) + f] = false;
        }
    }
    v.flags["tz_dst_by_date"] = z.dst.has_value() && !v.flags["tz_dst_by_week"];
    t["tz_posix_rule"] = rule;
    return v;
}

}  // namespace prov
