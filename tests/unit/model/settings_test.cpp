#include <catch2/catch.hpp>

#include "provisioner/model/settings.h"

using prov::checkSetting;

TEST_CASE("settings values are checked per key") {
    CHECK_FALSE(checkSetting("sip_server", "pbx.example.net"));
    CHECK(checkSetting("sip_server", "pbx example"));
    CHECK_FALSE(checkSetting("sip_port", "5061"));
    CHECK(checkSetting("sip_port", "0"));
    CHECK(checkSetting("sip_port", "65536"));
    CHECK(checkSetting("sip_port", "50x"));
    CHECK_FALSE(checkSetting("sip_transport", "tls"));
    CHECK(checkSetting("sip_transport", "TLS"));
    CHECK_FALSE(checkSetting("timezone", "Europe/Paris"));
    CHECK(checkSetting("timezone", "Paris; rm"));
    CHECK_FALSE(checkSetting("provisioning_url", "https://prov.example.net/"));
    CHECK(checkSetting("provisioning_url", "ftp://prov.example.net/"));
    CHECK(checkSetting("provisioning_url", "https://prov.example.net/\"x"));
    // What the templates could not take apart, or would hand to anyone.
    for (const char* bad : {"https:///p", "http://?x", "https://#f", "http://h/p?t=1", "http://h?t=1",
                            "http://u:p@h/", "http://2001:db8::1/", "http://:8080/", "http://[2001:db8::1/"})
        CHECK(checkSetting("provisioning_url", bad));
    for (const char* good : {"http://h", "http://h:8080", "https://[2001:db8::1]:8443/p/", "tftp://10.0.0.1/"})
        CHECK_FALSE(checkSetting("provisioning_url", good));
    CHECK_FALSE(checkSetting("resync_interval", "86400"));
    CHECK(checkSetting("resync_interval", "604801"));
    CHECK(checkSetting("phone_admin_password", "a<b>c"));
    CHECK(checkSetting("dial_plan", "x\ny"));
    CHECK(checkSetting("no_such_key", "1"));
}

TEST_CASE("timezone: a name of the system's tz database") {
    using prov::etcZoneFor;
    using prov::legacyOffsetMinutes;
    for (const char* good : {"Europe/Paris", "Australia/Sydney", "America/Phoenix", "Asia/Kolkata",
                             "America/Argentina/Buenos_Aires", "Etc/GMT-1", "Etc/GMT+12", "UTC", "GMT"})
        CHECK_FALSE(checkSetting("timezone", good));
    for (const char* bad : {"Europe/Pariss", "europe/paris", "Europe", "Mars/Olympus_Mons", "../etc/passwd",
                            "/usr/share/zoneinfo/UTC", "Europe/./Paris", "zone1970.tab", ""})
        CHECK(checkSetting("timezone", bad));

    // Offsets are refused, the message naming what to give instead.
    const auto plus1 = checkSetting("timezone", "+1");
    REQUIRE(plus1);
    CHECK(plus1->find("Etc/GMT-1") != std::string::npos);
    const auto india = checkSetting("timezone", "+5:30");
    REQUIRE(india);
    CHECK(india->find("Asia/Kolkata") != std::string::npos);
    CHECK(india->find("Etc/") == std::string::npos);

    CHECK(legacyOffsetMinutes("+1") == 60);
    CHECK(legacyOffsetMinutes("-05:30") == -330);
    CHECK(legacyOffsetMinutes("+14") == 840);
    CHECK_FALSE(legacyOffsetMinutes("+15"));
    CHECK_FALSE(legacyOffsetMinutes("+1:5"));
    CHECK_FALSE(legacyOffsetMinutes("Etc/GMT-1"));
    CHECK(etcZoneFor(60) == "Etc/GMT-1");
    CHECK(etcZoneFor(-300) == "Etc/GMT+5");
    CHECK(etcZoneFor(0) == "Etc/GMT");
    CHECK(etcZoneFor(840) == "Etc/GMT-14");
    CHECK(etcZoneFor(-720) == "Etc/GMT+12");
    CHECK(etcZoneFor(-780) == "");
    CHECK(etcZoneFor(330) == "");
}
