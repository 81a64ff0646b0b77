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
