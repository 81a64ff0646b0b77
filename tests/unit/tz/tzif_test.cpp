#include "provisioner/tz/tzif.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "provisioner/tz/civil_time.h"
#include "render/tzif_builder.h"

using namespace prov;
using namespace prov::tz;
using prov::testing::tzifBytes;
using prov::testing::TzifSpec;

namespace {

int64_t utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
    return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

std::string systemZoneBytes(const std::string& name) {
    std::ifstream in("/usr/share/zoneinfo/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Two transitions: +1 from 1000, +2 (DST) from 2000; before them +0:30.
TzifSpec twoTransitions(char version) {
    TzifSpec s;
    s.version = version;
    s.times = {1000, 2000};
    s.indexes = {1, 2};
    s.types = {{1800, false, "LMT"}, {3600, false, "AAA"}, {7200, true, "BBB"}};
    return s;
}

}  // namespace

TEST_CASE("a version 1 file: its 32-bit transitions, the last type after them") {
    auto zone = parseTzif(tzifBytes(twoTransitions('\0')));
    REQUIRE(zone);
    CHECK(zone.value().version == 1);
    CHECK_FALSE(zone.value().footer);
    const std::pair<int64_t, int32_t> cases[] = {{-5000000000, 1800}, {999, 1800},
                                                 {1000, 3600},        {1999, 3600},
                                                 {2000, 7200},        {5000000000, 7200}};
    for (const auto& [at, offset] : cases) {
        INFO(at);
        CHECK(utcOffsetAt(zone.value(), at) == offset);
    }
    CHECK(zone.value().types[2].abbreviation == "BBB");
    CHECK(rulesOf(zone.value()) == PosixTz{"BBB", 7200, std::nullopt});
}

TEST_CASE("versions 2, 3 and 4: the 64-bit block, and the footer past the last transition") {
    for (char version : {'2', '3', '4'}) {
        INFO(version);
        TzifSpec spec = twoTransitions(version);
        spec.times = {-4000000000, 2000};  // needs 64 bits
        spec.footer = "AAA-1BBB,M3.5.0,M10.5.0/3";
        spec.leap_count = 2;
        auto zone = parseTzif(tzifBytes(spec));
        REQUIRE(zone);
        CHECK(zone.value().version == version - '0');
        CHECK(zone.value().transitions.front() == -4000000000);
        CHECK(utcOffsetAt(zone.value(), -4000000001) == 1800);
        CHECK(utcOffsetAt(zone.value(), -4000000000) == 3600);
        CHECK(utcOffsetAt(zone.value(), utc(2030, 1, 1)) == 3600);
        CHECK(utcOffsetAt(zone.value(), utc(2030, 7, 1)) == 7200);
        REQUIRE(rulesOf(zone.value()).dst);
        CHECK(rulesOf(zone.value()).dst->start.date.month == 3);
    }
}

TEST_CASE("no transitions: the footer for all time, or else the first type") {
    TzifSpec spec;
    spec.types = {{19800, false, "IST"}};
    spec.footer = "IST-5:30";
    auto with_footer = parseTzif(tzifBytes(spec));
    REQUIRE(with_footer);
    CHECK(utcOffsetAt(with_footer.value(), 0) == 19800);
    spec.footer = "";
    auto bare = parseTzif(tzifBytes(spec));
    REQUIRE(bare);
    CHECK_FALSE(bare.value().footer);
    CHECK(utcOffsetAt(bare.value(), utc(2026, 1, 1)) == 19800);
}

TEST_CASE("a version 2+ reader skips the version 1 block, however small") {
    TzifSpec spec = twoTransitions('2');
    spec.footer = "AAA-1";
    std::string bytes = tzifBytes(spec);
    // A slim file's version 1 header: all counts zero.
    std::string slim =
        bytes.substr(0, 20) + std::string(24, '\0') + bytes.substr(bytes.find("TZif", 4));
    auto zone = parseTzif(slim);
    REQUIRE(zone);
    CHECK(zone.value().transitions.size() == 2);
}

TEST_CASE("every truncation of a TZif file is refused without a crash") {
    TzifSpec spec = twoTransitions('2');
    spec.footer = "AAA-1BBB,M3.5.0,M10.5.0/3";
    for (const std::string& whole :
         {tzifBytes(spec), tzifBytes(twoTransitions('\0')), systemZoneBytes("Europe/Paris")}) {
        REQUIRE(parseTzif(whole));
        for (size_t n = 0; n < whole.size(); ++n) {
            INFO(n << " of " << whole.size() << " bytes");
            auto cut = parseTzif(std::string_view(whole).substr(0, n));
            REQUIRE_FALSE(cut);
            CHECK(cut.error().message.rfind("TZif data: ", 0) == 0);
        }
    }
}

TEST_CASE("corrupt TZif files are refused, saying why") {
    TzifSpec good = twoTransitions('2');
    good.footer = "AAA-1";
    struct Case {
        const char* name;
        std::string bytes;
        const char* reason;
    };
    auto with = [&](auto change) {
        TzifSpec s = good;
        change(s);
        return tzifBytes(s);
    };
    std::string bad_magic = tzifBytes(good);
    bad_magic[0] = 'X';
    std::string bad_version = tzifBytes(good);
    bad_version[4] = '9';
    std::string other_version = tzifBytes(good);
    other_version[other_version.find("TZif", 4) + 4] = '3';
    std::string no_nul = tzifBytes(good);
    no_nul[no_nul.rfind("BBB") + 3] = 'x';  // the last abbreviation runs off the end
    const Case cases[] = {
        {"magic", bad_magic, "magic"},
        {"version", bad_version, "version"},
        {"versions differ", other_version, "disagree"},
        {"type index", with([](TzifSpec& s) { s.indexes[1] = 7; }), "type that does not exist"},
        {"order", with([](TzifSpec& s) {
             s.times = {2000, 1000};
         }),
         "out of order"},
        {"equal times", with([](TzifSpec& s) {
             s.times = {1000, 1000};
         }),
         "out of order"},
        {"no types", with([](TzifSpec& s) {
             s.types.clear();
             s.indexes.clear();
             s.times.clear();
         }),
         "no local time types"},
        {"offset", with([](TzifSpec& s) { s.types[1].offset = 26 * 3600; }), "25 hours"},
        {"abbreviation", no_nul, "NUL"},
        {"footer rule", with([](TzifSpec& s) { s.footer = "AAA-1BBB"; }), "footer"},
        {"footer garbage", with([](TzifSpec& s) { s.footer = "\x01\x02"; }), "footer"},
        {"footer newline", tzifBytes(good).substr(0, tzifBytes(good).size() - 1),
         "closing newline"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        auto z = parseTzif(c.bytes);
        REQUIRE_FALSE(z);
        CHECK_THAT(z.error().message, Catch::Contains(c.reason));
    }
}

TEST_CASE("any byte of a real zone file changed: refused or read, never a crash") {
    const std::string whole = systemZoneBytes("Australia/Lord_Howe");
    REQUIRE(parseTzif(whole));
    size_t refused = 0;
    for (size_t i = 0; i < whole.size(); ++i) {
        for (unsigned char x : {0x01, 0x80, 0xff}) {
            std::string bytes = whole;
            bytes[i] = static_cast<char>(static_cast<unsigned char>(bytes[i]) ^ x);
            auto z = parseTzif(bytes);
            if (!z) {
                ++refused;
                continue;
            }
            // Whatever was read answers for any time.
            for (int64_t at : {INT64_MIN, int64_t{0}, utc(2026, 6, 1), INT64_MAX})
                (void)utcOffsetAt(z.value(), at);
        }
    }
    CHECK(refused > 0);
}
