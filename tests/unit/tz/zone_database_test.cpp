#include "provisioner/tz/zone_database.h"

#include <stdlib.h>
#include <time.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/tz/civil_time.h"
#include "render/tzif_builder.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::tz;

namespace {

int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
    return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

int32_t offsetOf(const char* name, int64_t at) {
    auto zone = ZoneDatabase::system().find(name, at);
    REQUIRE(zone);
    return utcOffsetAt(*zone, at);
}

}  // namespace

TEST_CASE("the system zone database: offsets at known instants") {
    struct Case {
        const char* zone;
        int64_t at;
        int32_t offset;
    };
    const Case cases[] = {
        {"Europe/Paris", utc(2026, 1, 15, 12), 3600},
        {"Europe/Paris", utc(2026, 7, 15, 12), 7200},
        {"Europe/Paris", utc(2026, 3, 29, 0, 59, 59), 3600},
        {"Europe/Paris", utc(2026, 3, 29, 1), 7200},
        {"Europe/Paris", utc(2026, 10, 25, 0, 59, 59), 7200},
        {"Europe/Paris", utc(2026, 10, 25, 1), 3600},
        {"Europe/Paris", utc(2100, 7, 1), 7200},  // past the table: the footer
        {"Europe/Paris", utc(1900, 1, 1), 561},   // Paris Mean Time, +0:09:21
        {"Europe/Paris", utc(1944, 1, 1), 3600},  // occupation: German time, CET
        {"America/New_York", utc(2026, 3, 8, 6, 59, 59), -18000},
        {"America/New_York", utc(2026, 3, 8, 7), -14400},
        {"America/New_York", utc(2026, 11, 1, 5, 59, 59), -14400},
        {"America/New_York", utc(2026, 11, 1, 6), -18000},
        {"America/New_York", utc(2060, 7, 1), -14400},
        {"Asia/Kolkata", utc(2026, 1, 1), 19800},
        {"Asia/Kolkata", utc(2026, 7, 1), 19800},
        {"Australia/Lord_Howe", utc(2026, 1, 15), 39600},  // +11 in the southern summer
        {"Australia/Lord_Howe", utc(2026, 7, 15), 37800},  // +10:30 in winter
        {"Australia/Lord_Howe", utc(2026, 4, 4, 14, 59, 59), 39600},
        {"Australia/Lord_Howe", utc(2026, 4, 4, 15), 37800},
        {"Australia/Lord_Howe", utc(2026, 10, 3, 15, 29, 59), 37800},
        {"Australia/Lord_Howe", utc(2026, 10, 3, 15, 30), 39600},
        {"Asia/Kathmandu", utc(2026, 6, 1), 20700},
        {"Asia/Kathmandu", utc(1985, 6, 1), 19800},  // +5:30 until 1986
        {"UTC", utc(2026, 6, 1), 0},
        {"Etc/GMT-3", utc(2026, 6, 1), 10800},
        {"America/Sao_Paulo", utc(2026, 1, 15), -10800},  // no DST since 2019
        {"America/Sao_Paulo", utc(2026, 7, 15), -10800},
        {"America/Sao_Paulo", utc(2018, 1, 15), -7200},  // DST in the summer of 2017-18
    };
    for (const Case& c : cases) {
        INFO(c.zone << " at " << c.at);
        CHECK(offsetOf(c.zone, c.at) == c.offset);
    }
}

TEST_CASE("the system zone database: what the DST rules say") {
    auto rules = [](const char* name) { return rulesOf(*ZoneDatabase::system().find(name, 0)); };
    const PosixTz paris = rules("Europe/Paris");
    CHECK(paris.std_utc_offset == 3600);
    REQUIRE(paris.dst);
    CHECK(paris.dst->utc_offset == 7200);
    CHECK(paris.dst->start ==
          ChangeRule{RuleDate{RuleDate::Form::kMonthWeekDay, 0, 3, 5, 0}, 7200});
    CHECK(paris.dst->end ==
          ChangeRule{RuleDate{RuleDate::Form::kMonthWeekDay, 0, 10, 5, 0}, 10800});
    const PosixTz lord_howe = rules("Australia/Lord_Howe");
    CHECK(lord_howe.std_utc_offset == 37800);
    REQUIRE(lord_howe.dst);
    CHECK(lord_howe.dst->utc_offset == 39600);
    CHECK_FALSE(rules("America/Sao_Paulo").dst);
    CHECK(rules("America/Sao_Paulo").std_utc_offset == -10800);
    CHECK_FALSE(rules("Asia/Kolkata").dst);
}

TEST_CASE("zone names that would leave the database folder are refused") {
    const char* bad[] = {"",
                         "../etc/passwd",
                         "Europe/../../etc/passwd",
                         "/etc/localtime",
                         "Europe/./Paris",
                         "Europe//Paris",
                         "Europe/Paris/",
                         "./UTC",
                         "..",
                         "Europe/Pa ris",
                         "Europe/Paris\n",
                         "Europe\\Paris",
                         "%2e%2e/x"};
    for (const char* name : bad) {
        INFO("'" << name << "'");
        CHECK_FALSE(isSafeZoneName(name));
        CHECK_FALSE(ZoneDatabase::system().find(name, 0));
    }
    for (const char* name :
         {"Europe/Paris", "Etc/GMT+5", "America/Port-au-Prince", "UTC", "America/Argentina/Salta"})
        CHECK(isSafeZoneName(name));

    // A valid zone file just outside the root stays out of reach.
    prov::testing::TempDir dir;
    prov::testing::TzifSpec spec;
    spec.types = {{3600, false, "ONE"}};
    spec.footer = "ONE-1";
    dir.write("outside", prov::testing::tzifBytes(spec));
    dir.write("root/Inside", prov::testing::tzifBytes(spec));
    ZoneDatabase db(dir.path() + "/root");
    CHECK(db.find("Inside", 0));
    CHECK_FALSE(db.find("../outside", 0));
    CHECK_FALSE(db.find(dir.path() + "/outside", 0));
}

TEST_CASE("the database keeps parsed zones and reads them again after an hour") {
    prov::testing::TempDir dir;
    prov::testing::TzifSpec spec;
    spec.types = {{3600, false, "ONE"}};
    spec.footer = "ONE-1";
    dir.write("Zone", prov::testing::tzifBytes(spec));
    ZoneDatabase db(dir.path());
    const auto first = db.find("Zone", 1000);
    REQUIRE(first);
    CHECK(db.find("Zone", 1000 + 3599) == first);
    CHECK_FALSE(db.find("Missing", 1000));

    spec.types = {{7200, false, "TWO"}};
    spec.footer = "TWO-2";
    dir.write("Zone", prov::testing::tzifBytes(spec));
    dir.write("Missing", prov::testing::tzifBytes(spec));
    CHECK(utcOffsetAt(*db.find("Zone", 1000 + 3599), 0) == 3600);
    // A miss is not kept (names sent to the admin API must not fill the
    // cache): a zone installed since is found at once.
    CHECK(db.find("Missing", 1000 + 3599));
    CHECK(utcOffsetAt(*db.find("Zone", 1000 + 3600), 0) == 7200);
}

TEST_CASE("names that are no zone do not push real zones out of the cache") {
    prov::testing::TempDir dir;
    prov::testing::TzifSpec spec;
    spec.types = {{3600, false, "ONE"}};
    spec.footer = "ONE-1";
    dir.write("Zone", prov::testing::tzifBytes(spec));
    ZoneDatabase db(dir.path());
    const auto first = db.find("Zone", 1000);
    REQUIRE(first);
    for (int i = 0; i < 5000; ++i) CHECK_FALSE(db.find("Nowhere" + std::to_string(i), 1000));
    CHECK(db.find("Zone", 1001) == first);  // still the parsed one, not read again
}

TEST_CASE("the database answers from many threads at once") {
    ZoneDatabase db;
    const char* names[] = {"Europe/Paris", "Asia/Kolkata", "America/New_York", "Nowhere/Atlantis"};
    const int32_t want[] = {7200, 19800, -14400, 0};
    const int64_t at = utc(2026, 7, 1);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 400; ++i) {
                const int n = (i + t) % 4;
                // Different "now"s age entries, so threads also race to re-read.
                auto zone = db.find(names[n], at + (i % 3) * 3600);
                const bool right = n == 3 ? !zone : zone && utcOffsetAt(*zone, at) == want[n];
                if (!right) ++wrong;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
}

// A cross-check against the C library over two centuries. TZ is set in this
// test process only (the reader never touches it) and restored.
TEST_CASE("the reader agrees with glibc's localtime_r") {
    const char* old = getenv("TZ");
    const std::string saved = old ? old : "";
    for (const char* name :
         {"Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
          "America/Sao_Paulo", "Europe/Dublin", "America/Nuuk", "Africa/Casablanca"}) {
        setenv("TZ", name, 1);
        tzset();
        auto zone = ZoneDatabase::system().find(name, 0);
        REQUIRE(zone);
        int mismatches = 0;
        // A step of about 3.7 days, prime, so the sweep lands at every hour of the day.
        for (int64_t t = utc(1900, 1, 1); t < utc(2100, 1, 1) && mismatches < 5; t += 319993) {
            const time_t tt = static_cast<time_t>(t);
            struct tm tm {};
            localtime_r(&tt, &tm);
            const int32_t ours = utcOffsetAt(*zone, t);
            if (ours != tm.tm_gmtoff) {
                ++mismatches;
                UNSCOPED_INFO(name << " at " << t << ": ours " << ours << ", glibc "
                                   << tm.tm_gmtoff);
            }
        }
        CHECK(mismatches == 0);
    }
    if (old) {
        setenv("TZ", saved.c_str(), 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

TEST_CASE("zone names are those tzdata.zi lists: posix/, right/, localtime are files, not names") {
    for (const char* name : {"posix/Europe/Paris", "right/Europe/Paris", "localtime", "posixrules"}) {
        INFO(name);
        CHECK_FALSE(ZoneDatabase::system().find(name, 0));
    }
    for (const char* name : {"Europe/Paris", "UTC", "Etc/GMT-1", "US/Eastern"}) {
        INFO(name);
        CHECK(ZoneDatabase::system().find(name, 0));
    }

    prov::testing::TempDir dir;
    prov::testing::TzifSpec spec;
    spec.types = {{3600, false, "ONE"}};
    spec.footer = "ONE-1";
    for (const char* file : {"Zone", "Alias", "Unlisted", "posix/Zone"}) dir.write(file, prov::testing::tzifBytes(spec));
    dir.write("tzdata.zi", "# version test\nR X 2000 o - Mar lastSu 1u 1 S\nZ Zone 1 - ONE\nL Zone Alias\n");
    ZoneDatabase db(dir.path());
    CHECK(db.find("Zone", 0));
    CHECK(db.find("Alias", 0));
    CHECK_FALSE(db.find("Unlisted", 0));
    CHECK_FALSE(db.find("posix/Zone", 0));
    CHECK_FALSE(db.find("X", 0));  // a rule's name is no zone
}

TEST_CASE("a zone re-read that fails keeps the copy read before") {
    prov::testing::TempDir dir;
    prov::testing::TzifSpec spec;
    spec.types = {{3600, false, "ONE"}};
    spec.footer = "ONE-1";
    dir.write("Zone", prov::testing::tzifBytes(spec));
    ZoneDatabase db(dir.path());
    const auto first = db.find("Zone", 1000);
    REQUIRE(first);
    dir.write("Zone", "TZif, cut short by an upgrade");
    CHECK(db.find("Zone", 1000 + 3600) == first);
    // A zone never read is still refused for the same bytes.
    dir.write("Other", "TZif, cut short by an upgrade");
    CHECK_FALSE(db.find("Other", 1000 + 3600));
}
