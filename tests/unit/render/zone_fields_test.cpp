#include "provisioner/render/zone_fields.h"

#include <catch2/catch.hpp>
#include <string>

#include "provisioner/render/timezone.h"

using namespace prov;

namespace {

// The fields of a zone of the system's database, rules as of mid-2026.
ZoneFields fieldsOf(const std::string& name) {
    const auto rules = zoneRules(name, 1782000000);
    REQUIRE(rules);
    return zoneFields(name, *rules, 2026);
}

// A rule written by hand, for the forms no zone of today's database uses.
ZoneFields fieldsOfRule(const std::string& posix) {
    auto rules = tz::parsePosixTz(posix);
    REQUIRE(rules);
    return zoneFields("Test/Zone", rules.value(), 2026);
}

}  // namespace

TEST_CASE("zone fields: Europe/Paris, northern DST on the last Sundays of March and October") {
    const ZoneFields z = fieldsOf("Europe/Paris");  // CET-1CEST,M3.5.0,M10.5.0/3
    CHECK(z.std_minutes == 60);
    CHECK(z.std_abbr == "CET");
    REQUIRE(z.dst);
    CHECK(z.dst->minutes == 120);
    CHECK(z.dst->save_minutes == 60);
    CHECK(z.dst->start == DstChange{true, 3, 5, 0, 29, 2, 0, 0});  // 2026-03-29 02:00
    CHECK(z.dst->end == DstChange{true, 10, 5, 0, 25, 3, 0, 0});   // 2026-10-25 03:00

    const ZoneVariables v = zoneVariables(z);
    CHECK(v.flags.at("tz_has_dst"));
    CHECK(v.flags.at("tz_dst_by_week"));
    CHECK(v.flags.at("tz_dst_start_last"));
    CHECK(v.text.at("tz_offset") == "+1");
    CHECK(v.text.at("tz_offset_seconds") == "3600");
    CHECK(v.text.at("tz_gmt") == "GMT+01:00");
    CHECK(v.text.at("tz_offset_hm") == "+1:00");
    CHECK(v.text.at("tz_dst_offset") == "+2");
    CHECK(v.text.at("tz_dst_save_minutes") == "60");
    CHECK(v.text.at("tz_dst_save_hms") == "1:0:0");
    CHECK(v.text.at("tz_dst_start_month") == "3");
    CHECK(v.text.at("tz_dst_start_week") == "5");
    CHECK(v.text.at("tz_dst_start_week_or_minus1") == "-1");
    CHECK(v.text.at("tz_dst_start_last01") == "1");
    CHECK(v.text.at("tz_dst_start_weekday") == "0");
    CHECK(v.text.at("tz_dst_start_weekday_mon1") == "7");
    CHECK(v.text.at("tz_dst_start_weekday_sun1") == "1");
    CHECK(v.text.at("tz_dst_start_weekday_abbr") == "Sun");
    CHECK(v.text.at("tz_dst_start_month_abbr") == "Mar");
    CHECK(v.text.at("tz_dst_end_month_abbr") == "Oct");
    CHECK(v.text.at("tz_dst_start_hour") == "2");
    CHECK(v.text.at("tz_dst_end_hour2") == "03");
    CHECK(v.text.at("tz_dst_start_minute_of_day") == "120");
    CHECK(v.text.at("tz_dst_end_minute_of_day") == "180");
    CHECK(v.text.at("tz_dst_end_day") == "25");
    CHECK(v.text.at("tz_posix_rule") == "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00");
}

TEST_CASE("zone fields: Australia/Sydney, southern DST from October across the new year to April") {
    const ZoneFields z = fieldsOf("Australia/Sydney");  // AEST-10AEDT,M10.1.0,M4.1.0/3
    CHECK(z.std_minutes == 600);
    REQUIRE(z.dst);
    CHECK(z.dst->minutes == 660);
    CHECK(z.dst->start ==
          DstChange{true, 10, 1, 0, 4, 2, 0, 0});  // first Sunday of October: 2026-10-04
    CHECK(z.dst->end == DstChange{true, 4, 1, 0, 5, 3, 0, 0});  // first Sunday of April: 2026-04-05
    const ZoneVariables v = zoneVariables(z);
    CHECK(v.text.at("tz_dst_start_week_or_minus1") == "1");
    CHECK(v.text.at("tz_dst_start_first_day") == "1");
    CHECK(v.text.at("tz_dst_start_last01") == "0");
    CHECK_FALSE(v.flags.at("tz_dst_start_last"));
    CHECK(v.flags.at("tz_dst_start_nth"));
    CHECK_FALSE(v.flags.at("tz_dst_by_date"));
    CHECK(v.text.at("tz_offset") == "+10");
    CHECK(v.text.at("tz_offset_quarter_hours") == "40");
    CHECK(v.text.at("tz_posix_rule") == "AEST-10AEDT-11,M10.1.0/02:00:00,M4.1.0/03:00:00");
}

TEST_CASE("zone fields: America/Phoenix has no DST") {
    const ZoneFields z = fieldsOf("America/Phoenix");  // MST7
    CHECK(z.std_minutes == -420);
    CHECK_FALSE(z.dst);
    const ZoneVariables v = zoneVariables(z);
    CHECK_FALSE(v.flags.at("tz_has_dst"));
    CHECK_FALSE(v.flags.at("tz_dst_by_week"));
    CHECK_FALSE(v.flags.at("tz_dst_by_date"));
    CHECK_FALSE(v.flags.at("tz_dst_start_nth"));  // set, so an inverted section cannot fire
    CHECK(v.text.count("tz_dst_start_month") == 0);
    CHECK(v.text.at("tz_offset") == "-7");
    CHECK(v.text.at("tz_offset_seconds") == "-25200");
    CHECK(v.text.at("tz_gmt") == "GMT-07:00");
    CHECK(v.text.at("tz_offset_hm") == "-7:00");
    CHECK(v.text.at("tz_posix_rule") == "MST7");
}

TEST_CASE("zone fields: Asia/Kolkata, half an hour and no DST") {
    const ZoneFields z = fieldsOf("Asia/Kolkata");  // IST-5:30
    CHECK(z.std_minutes == 330);
    CHECK_FALSE(z.dst);
    const ZoneVariables v = zoneVariables(z);
    CHECK(v.text.at("tz_offset") == "+5:30");
    CHECK(v.text.at("tz_offset_seconds") == "19800");
    CHECK(v.text.at("tz_offset_quarter_hours") == "22");
    CHECK(v.text.at("tz_gmt") == "GMT+05:30");
    CHECK(v.text.at("tz_offset_hm") == "+5:30");
    CHECK(v.text.at("tz_posix_rule") == "IST-5:30");
}

TEST_CASE("zone fields: numeric abbreviations become letters (Etc zones)") {
    const ZoneFields z = fieldsOf("Etc/GMT-1");  // <+01>-1
    CHECK(z.std_minutes == 60);
    CHECK(z.std_abbr == "STD");
    CHECK(zoneVariables(z).text.at("tz_posix_rule") == "STD-1");
}

TEST_CASE("zone fields: a negative saving is turned round (Europe/Dublin)") {
    const ZoneFields z = fieldsOfRule("IST-1GMT0,M10.5.0,M3.5.0/1");
    CHECK(z.std_minutes == 0);
    CHECK(z.std_abbr == "GMT");
    REQUIRE(z.dst);
    CHECK(z.dst->minutes == 60);
    CHECK(z.dst->save_minutes == 60);
    CHECK(z.dst->start == DstChange{true, 3, 5, 0, 29, 1, 0, 0});
    CHECK(z.dst->end == DstChange{true, 10, 5, 0, 25, 2, 0, 0});
}

TEST_CASE("zone fields: a change time past 24 h moves the weekday (Asia/Jerusalem)") {
    const ZoneFields z = fieldsOfRule("IST-2IDT,M3.4.4/26,M10.5.0");
    REQUIRE(z.dst);
    // Thursday of the fourth week at 26:00 is the Friday after it at 02:00: 2026-03-27.
    CHECK(z.dst->start == DstChange{true, 3, 4, 5, 27, 2, 0, 0});
}

TEST_CASE("zone fields: a change at a negative time moves the weekday back where that is exact") {
    // America/Scoresbysund-like: the last Sunday of October at -1:00, the
    // Saturday before at 23:00. In 2027 October ends on a Sunday, so that
    // Saturday is October's last; in 2026 it is the 24th, and the last
    // Saturday is the 31st: there the date itself.
    const auto rules = tz::parsePosixTz("<-01>1<+00>0,M3.5.0/0,M10.5.0/-1");
    REQUIRE(rules);
    const ZoneFields in2027 = zoneFields("Test/Zone", rules.value(), 2027);
    REQUIRE(in2027.dst);
    CHECK(in2027.dst->end == DstChange{true, 10, 5, 6, 30, 23, 0, 0});
    const ZoneFields in2026 = fieldsOfRule("<-01>1<+00>0,M3.5.0/0,M10.5.0/-1");
    REQUIRE(in2026.dst);
    CHECK_FALSE(in2026.dst->end.by_week);
    CHECK(in2026.dst->end.month == 10);
    CHECK(in2026.dst->end.day == 24);
    CHECK(in2026.dst->end.hour == 23);
    CHECK(in2026.dst->start.by_week);  // the start needs no move
}

TEST_CASE("zone fields: Julian dates give the fixed-date form") {
    const ZoneFields z = fieldsOfRule("<+0330>-3:30<+0430>,J79/24,J263/24");  // Iran until 2022
    REQUIRE(z.dst);
    CHECK_FALSE(z.dst->start.by_week);
    CHECK(z.dst->start.month == 3);
    CHECK(z.dst->start.day == 21);  // J79 at 24:00 = March 21 00:00 in a common year
    CHECK(z.dst->start.hour == 0);
    const ZoneVariables v = zoneVariables(z);
    CHECK_FALSE(v.flags.at("tz_dst_by_week"));
    CHECK(v.flags.at("tz_dst_by_date"));
    CHECK_FALSE(v.flags.at("tz_dst_start_nth"));
    CHECK(v.text.at("tz_dst_start_day2") == "21");
    CHECK(v.text.at("tz_posix_rule") == "STD-3:30DST-4:30,J80/00:00:00,J264/00:00:00");
}

TEST_CASE("zone fields: DST all year is a standard time") {
    const ZoneFields z = fieldsOfRule("EST5EDT,0/0,J365/25");
    CHECK(z.std_minutes == -240);
    CHECK(z.std_abbr == "EDT");
    CHECK_FALSE(z.dst);
}

TEST_CASE("zone fields: an old offset is a fixed standard time") {
    const auto rules = zoneRules("+5:30", 1782000000);
    REQUIRE(rules);
    const ZoneFields z = zoneFields("+5:30", *rules, 2026);
    CHECK(z.std_minutes == 330);
    CHECK_FALSE(z.dst);
    CHECK(zoneVariables(z).text.at("tz_name") == "+5:30");
}

TEST_CASE("zone fields: a change past midnight keeps its week rule only where the moved weekday is exact") {
    // Asia/Jerusalem: the Thursday before the last Sunday of March, at 26:00
    // (Friday 02:00). In 2026 that Friday is March's 4th (the 27th), so the
    // week rule holds; in 2024 March began on a Friday, the Thursday is the
    // 28th and the Friday the 29th, the 5th Friday: this year's date instead.
    const auto rules = tz::parsePosixTz("IST-2IDT,M3.4.4/26,M10.5.0");
    REQUIRE(rules);
    const ZoneFields in2026 = zoneFields("Asia/Jerusalem", rules.value(), 2026);
    REQUIRE(in2026.dst);
    CHECK(in2026.dst->start == DstChange{true, 3, 4, 5, 27, 2, 0, 0});
    CHECK(zoneVariables(in2026).flags.at("tz_dst_by_week"));
    const ZoneFields in2024 = zoneFields("Asia/Jerusalem", rules.value(), 2024);
    REQUIRE(in2024.dst);
    CHECK(in2024.dst->start.by_week == false);
    CHECK(in2024.dst->start.month == 3);
    CHECK(in2024.dst->start.day == 29);
    CHECK(in2024.dst->start.hour == 2);
    const ZoneVariables v = zoneVariables(in2024);
    CHECK_FALSE(v.flags.at("tz_dst_by_week"));
    CHECK(v.flags.at("tz_dst_by_date"));
    CHECK(v.text.at("tz_dst_start_day") == "29");
}
