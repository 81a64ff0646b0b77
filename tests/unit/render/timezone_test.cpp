#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include "provisioner/render/timezone.h"

using namespace prov;

TEST_CASE("utcOffsetMinutes: offsets and zone names") {
    struct Case {
        const char* tz;
        int minutes;
    };
    const Case cases[] = {
        {"+1", 60},
        {"-1", -60},
        {"+0", 0},
        {"+01", 60},
        {"-05:30", -330},
        {"+5:45", 345},
        {"+05:45", 345},
        {"+14", 840},
        {"-12", -720},
        {"UTC", 0},
        {"GMT", 0},
        {"Etc/GMT-3", 180},  // POSIX sign: Etc/GMT-3 is three hours east
        {"Etc/GMT+5", -300},
        {"Asia/Kolkata", 330},
        {"Asia/Kathmandu", 345},
    };
    for (const Case& c : cases) {
        INFO(c.tz);
        auto m = utcOffsetMinutes(c.tz);
        REQUIRE(m);
        CHECK(*m == c.minutes);
    }
}

TEST_CASE("utcOffsetMinutes at a given time: daylight-saving time from the zone's rules") {
    struct Case {
        const char* tz;
        int64_t at;
        int minutes;
    };
    const Case cases[] = {
        {"Europe/Paris", 1768478400, 60},          // 2026-01-15T12:00:00Z
        {"Europe/Paris", 1784116800, 120},         // 2026-07-15T12:00:00Z
        {"America/New_York", 1772953199, -300},    // 2026-03-08T06:59:59Z
        {"America/New_York", 1772953200, -240},    // 2026-03-08T07:00:00Z
        {"Australia/Lord_Howe", 1768435200, 660},  // 2026-01-15T00:00:00Z
        {"Australia/Lord_Howe", 1784073600, 630},  // 2026-07-15T00:00:00Z
        {"America/Sao_Paulo", 1768435200, -180},
        {"+5:30", 1784073600, 330},
        {"UTC", 1784073600, 0},
    };
    for (const Case& c : cases) {
        INFO(c.tz << " at " << c.at);
        CHECK(utcOffsetMinutes(c.tz, c.at) == c.minutes);
    }
}

TEST_CASE("zoneRules: a fixed offset is a standard time all year") {
    auto fixed = zoneRules("-05:30", 0);
    REQUIRE(fixed);
    CHECK(fixed->std_utc_offset == -330 * 60);
    CHECK_FALSE(fixed->dst);
    const int64_t jan2026 = 1768435200;  // 2026-01-15
    auto paris = zoneRules("Europe/Paris", jan2026);
    REQUIRE(paris);
    REQUIRE(paris->dst);
    CHECK(paris->dst->utc_offset == 7200);
    CHECK_FALSE(zoneRules("Nowhere", 0));
    CHECK_FALSE(zoneRules("../../etc/passwd", 0));
}

TEST_CASE("zoneRules: where the coming year's listed changes disagree with the closing rule, the offset in force and no DST") {
    // Casablanca's file closes with "<+01>-1" but lists weeks at +00 every
    // year (2026: February 15 to March 22).
    const int64_t march2026 = 1772323200;  // 2026-03-01
    auto during = zoneRules("Africa/Casablanca", march2026);
    REQUIRE(during);
    CHECK(during->std_utc_offset == 0);
    CHECK_FALSE(during->dst);
    const int64_t june2026 = 1780272000;  // 2026-06-01: +01, the +00 weeks of 2027 ahead
    auto after = zoneRules("Africa/Casablanca", june2026);
    REQUIRE(after);
    CHECK(after->std_utc_offset == 3600);
    CHECK_FALSE(after->dst);
    // 1970: France's listed offsets then are not today's rule either.
    auto paris1970 = zoneRules("Europe/Paris", 0);
    REQUIRE(paris1970);
    CHECK(paris1970->std_utc_offset == 3600);
    CHECK_FALSE(paris1970->dst);
}

TEST_CASE("utcOffsetMinutes: unknown names and malformed offsets") {
    const char* bad[] = {
        "Mars/Olympus_Mons",
        "Nowhere",
        "utc/x",
        "+",
        "-",
        "+x",
        "+1x",
        "+1:",
        "+1:30x",
        "+1:30:00",
        "1",
        "../../../etc/passwd",
        "Europe/../../../../etc/passwd",
        "Europe",  // a folder of the zone database, not a zone
        "posix",
        "leapseconds",  // a text file of the zone database, not a zone
        "zone.tab",
        "/etc/localtime",
        "",
    };
    for (const char* tz : bad) {
        INFO("'" << tz << "'");
        const auto m = utcOffsetMinutes(tz);
        CAPTURE(m.value_or(99999));
        CHECK_FALSE(m.has_value());
    }
}

TEST_CASE("utcOffsetMinutes leaves the process time zone as it found it") {
    const char* before = std::getenv("TZ");
    const std::string saved = before ? before : "";
    const bool had = before != nullptr;
    CHECK(utcOffsetMinutes("Asia/Kolkata") == 330);
    const char* after = std::getenv("TZ");
    CHECK((after != nullptr) == had);
    if (had && after) CHECK(std::string(after) == saved);
}

TEST_CASE("offset formats") {
    struct Case {
        int minutes;
        const char* shortf;
        const char* gmt;
        const char* posix;
    };
    const Case cases[] = {
        {60, "+1", "GMT+01:00", "<+01>-1"},
        {-60, "-1", "GMT-01:00", "<-01>1"},
        {0, "+0", "GMT+00:00", "<+00>0"},
        {-330, "-5:30", "GMT-05:30", "<-0530>5:30"},
        {330, "+5:30", "GMT+05:30", "<+0530>-5:30"},
        {345, "+5:45", "GMT+05:45", "<+0545>-5:45"},
        {-300, "-5", "GMT-05:00", "<-05>5"},
        {840, "+14", "GMT+14:00", "<+14>-14"},
        {-720, "-12", "GMT-12:00", "<-12>12"},
        {-30, "-0:30", "GMT-00:30", "<-0030>0:30"},
    };
    for (const Case& c : cases) {
        INFO(c.minutes);
        CHECK(formatOffsetShort(c.minutes) == c.shortf);
        CHECK(formatOffsetGmt(c.minutes) == c.gmt);
        CHECK(formatOffsetPosix(c.minutes) == c.posix);
    }
}

TEST_CASE("a short offset reads back as the same offset") {
    for (int m : {0, 60, -60, 330, -330, 345, -570, 840, -720}) {
        INFO(m);
        CHECK(utcOffsetMinutes(formatOffsetShort(m)) == m);
    }
}
