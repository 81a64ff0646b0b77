#include <catch2/catch.hpp>

#include "provisioner/core/mac_address.h"

using prov::MacAddress;

TEST_CASE("MAC addresses parse from every common spelling to one canonical form") {
    const char* spellings[] = {"00:15:65:4A:A9:37", "00-15-65-4a-a9-37", "0015.654a.a937",
                               "0015654AA937",      "0015654aa937",      "00:15:65:4a:a9:37"};
    for (const char* s : spellings) {
        INFO(s);
        auto mac = MacAddress::parse(s);
        REQUIRE(mac);
        CHECK(mac->canonical() == "0015654aa937");
        CHECK(mac->upper() == "0015654AA937");
        CHECK(mac->colons() == "00:15:65:4a:a9:37");
    }
}

TEST_CASE("MAC addresses refuse anything else") {
    const char* bad[] = {"",
                         "0015654aa93",        // 11 digits
                         "0015654aa9377",      // 13 digits
                         "0015654aa93g",       // not hex
                         "00:15:65:4a:a9-37",  // mixed separators
                         "00:15:65:4a:a9:37:", // trailing separator
                         "0:15:65:4a:a9:37",
                         "0015.654a.a93",
                         "00155.54a.a937",
                         " 0015654aa937",
                         "0015654aa937\n",
                         "00 15 65 4a a9 37",
                         "../0015654aa93"};
    for (const char* s : bad) {
        INFO(s);
        CHECK_FALSE(MacAddress::parse(s));
    }
    CHECK_FALSE(MacAddress::parse(std::string_view("0015654a\0a937", 13)));
}
