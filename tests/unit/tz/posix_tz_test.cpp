#include "provisioner/tz/posix_tz.h"

#include <catch2/catch.hpp>
#include <string>

#include "provisioner/tz/civil_time.h"

using namespace prov;
using namespace prov::tz;

namespace {

int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
    return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

RuleDate mwd(int m, int w, int d) { return RuleDate{RuleDate::Form::kMonthWeekDay, 0, m, w, d}; }
RuleDate julian(int n) { return RuleDate{RuleDate::Form::kJulian, n, 0, 0, 0}; }
RuleDate dayOfYear(int n) { return RuleDate{RuleDate::Form::kDayOfYear, n, 0, 0, 0}; }

}  // namespace

TEST_CASE("TZ rules parse into standard and daylight-saving parts") {
    struct Case {
        const char* text;
        PosixTz want;
    };
    const Case cases[] = {
        {"UTC0", {"UTC", 0, std::nullopt}},
        {"IST-5:30", {"IST", 19800, std::nullopt}},
        {"<+0530>-5:30", {"+0530", 19800, std::nullopt}},
        {"<+0545>-5:45", {"+0545", 20700, std::nullopt}},
        {"<-03>3", {"-03", -10800, std::nullopt}},
        {"<-0130>+1:30:15", {"-0130", -5415, std::nullopt}},
        {"CET-1CEST,M3.5.0,M10.5.0/3",
         {"CET", 3600, DstRule{"CEST", 7200, {mwd(3, 5, 0), 7200}, {mwd(10, 5, 0), 10800}}}},
        {"EST5EDT,M3.2.0,M11.1.0",
         {"EST", -18000, DstRule{"EDT", -14400, {mwd(3, 2, 0), 7200}, {mwd(11, 1, 0), 7200}}}},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
         {"+1030", 37800, DstRule{"+11", 39600, {mwd(10, 1, 0), 7200}, {mwd(4, 1, 0), 7200}}}},
        // An explicit DST offset, Julian days and times past 24 h and below 0 (RFC 8536).
        {"XXX3YYY1,J60/1:30,J300/-1",
         {"XXX", -10800, DstRule{"YYY", -3600, {julian(60), 5400}, {julian(300), -3600}}}},
        {"EST5EDT,0/0,J365/25",
         {"EST", -18000, DstRule{"EDT", -14400, {dayOfYear(0), 0}, {julian(365), 90000}}}},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
         {"-02", -7200, DstRule{"-01", -3600, {mwd(3, 5, 0), -3600}, {mwd(10, 5, 0), 0}}}},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        auto got = parsePosixTz(c.text);
        REQUIRE(got);
        CHECK(got.value() == c.want);
    }
}

TEST_CASE("malformed TZ rules are refused with a reason") {
    const char* bad[] = {
        "",
        "UT0",                           // name under three letters
        "<+05>",                         // no offset
        "<+05-5",                        // '<' without '>'
        "<+0>-5",                        // quoted name under three characters
        "CET",                           // no offset
        "CET-25",                        // offset over 24 h
        "CET-1:60",                      // minutes over 59
        "CET-1:3",                       // one-digit minutes
        "CET-1CEST",                     // DST name without its rule
        "CET-1CEST,M3.5.0",              // no end
        "CET-1CEST,M13.5.0,M10.5.0",     // month 13
        "CET-1CEST,M3.6.0,M10.5.0",      // week 6
        "CET-1CEST,M3.0.0,M10.5.0",      // week 0
        "CET-1CEST,M3.5.7,M10.5.0",      // weekday 7
        "CET-1CEST,M3.5,M10.5.0",        // no weekday
        "CET-1CEST,J0,J100",             // Julian days start at 1
        "CET-1CEST,J366,J100",           // and end at 365
        "CET-1CEST,366,100",             // day of the year 0..365
        "CET-1CEST,M3.5.0/168,M10.5.0",  // change time over 167 h
        "CET-1CEST,M3.5.0,M10.5.0/",     // '/' without a time
        "CET-1CEST,M3.5.0,M10.5.0x",     // trailing bytes
        "CET-1 ",                        // trailing space
        "CET-1CE,M3.5.0,M10.5.0",        // DST name under three letters
        "CET-1CEST-2:00:00:00,M3.5.0,M10.5.0",
        "CET--1",
        "AAA-14BBB,n,M1.1.0",  // 'n' stands for a number
    };
    for (const char* text : bad) {
        INFO("'" << text << "'");
        auto got = parsePosixTz(text);
        REQUIRE_FALSE(got);
        CHECK(got.error().message.find("time zone rule") != std::string::npos);
    }
}

TEST_CASE("the offset a TZ rule gives at a UTC time") {
    struct Case {
        const char* rule;
        int64_t at;
        int32_t offset;
    };
    const Case cases[] = {
        {"UTC0", utc(2026, 6, 1), 0},
        {"IST-5:30", utc(2026, 6, 1), 19800},
        // Paris: last Sunday of March 01:00 UTC, last Sunday of October 01:00 UTC.
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2026, 1, 15, 12), 3600},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2026, 3, 29, 0, 59, 59), 3600},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2026, 3, 29, 1), 7200},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2026, 10, 25, 0, 59, 59), 7200},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2026, 10, 25, 1), 3600},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(2100, 7, 1), 7200},
        {"CET-1CEST,M3.5.0,M10.5.0/3", utc(1850, 7, 1), 7200},
        // New York 2026: March 8 07:00 UTC, November 1 06:00 UTC.
        {"EST5EDT,M3.2.0,M11.1.0", utc(2026, 3, 8, 6, 59, 59), -18000},
        {"EST5EDT,M3.2.0,M11.1.0", utc(2026, 3, 8, 7), -14400},
        {"EST5EDT,M3.2.0,M11.1.0", utc(2026, 11, 1, 5, 59, 59), -14400},
        {"EST5EDT,M3.2.0,M11.1.0", utc(2026, 11, 1, 6), -18000},
        // Lord Howe, southern and a half-hour step: ends April 5 2026 02:00 +11,
        // starts October 4 2026 02:00 +10:30.
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 1, 1), 39600},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 4, 4, 14, 59, 59), 39600},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 4, 4, 15), 37800},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 10, 3, 15, 29, 59), 37800},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 10, 3, 15, 30), 39600},
        {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", utc(2026, 12, 31, 23), 39600},
        // Week 5 in a month with four such weekdays: the last one (Feb 2026 has four Sundays).
        {"AAA0BBB,M2.5.0/0,M12.1.0", utc(2026, 2, 21, 23, 59, 59), 0},
        {"AAA0BBB,M2.5.0/0,M12.1.0", utc(2026, 2, 22), 3600},
        // Jn never counts February 29: J60 is March 1, in a leap year too.
        {"AAA0BBB,J60/0,J365/0", utc(2024, 2, 29, 23, 59, 59), 0},
        {"AAA0BBB,J60/0,J365/0", utc(2024, 3, 1), 3600},
        // n counts it: 59 is February 29 in 2024, March 1 in 2025.
        {"AAA0BBB,59/0,365/0", utc(2024, 2, 28, 23, 59, 59), 0},
        {"AAA0BBB,59/0,365/0", utc(2024, 2, 29), 3600},
        {"AAA0BBB,59/0,364/0", utc(2025, 2, 28, 23, 59, 59), 0},
        {"AAA0BBB,59/0,364/0", utc(2025, 3, 1), 3600},
        // Daylight-saving time all year (zic's way of writing it).
        {"EST5EDT,0/0,J365/25", utc(2026, 1, 1, 5), -14400},
        {"EST5EDT,0/0,J365/25", utc(2026, 7, 1), -14400},
        {"EST5EDT,0/0,J365/25", utc(2026, 12, 31, 23), -14400},
        // Negative change times (America/Nuuk): 23:00 on the Saturday before March's
        // last Sunday, local standard time, is 01:00 UTC that Sunday.
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", utc(2026, 3, 29, 0, 59, 59), -7200},
        {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", utc(2026, 3, 29, 1), -3600},
    };
    for (const Case& c : cases) {
        INFO(c.rule << " at " << c.at);
        auto tz = parsePosixTz(c.rule);
        REQUIRE(tz);
        CHECK(utcOffsetAt(tz.value(), c.at) == c.offset);
    }
}

TEST_CASE("a TZ rule answers for times far from now without overflowing") {
    auto tz = parsePosixTz("CET-1CEST,M3.5.0,M10.5.0/3");
    REQUIRE(tz);
    for (int64_t t :
         {INT64_MIN, INT64_MIN + 1, int64_t{-1} << 40, int64_t{0}, int64_t{1} << 40, INT64_MAX}) {
        const int32_t off = utcOffsetAt(tz.value(), t);
        CHECK((off == 3600 || off == 7200));
    }
}
