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

TEST_CASE("the phone settings of issue 13 take their documented forms") {
    using prov::effectiveSrtp;
    using prov::splitCodecs;
    for (const char* good : {"rfc2833", "info", "inband", "auto", ""}) CHECK_FALSE(checkSetting("dtmf_mode", good));
    for (const char* bad : {"RFC2833", "avt", "sip_info"}) CHECK(checkSetting("dtmf_mode", bad));
    for (const char* good : {"off", "optional", "required", ""}) CHECK_FALSE(checkSetting("srtp", good));
    CHECK(checkSetting("srtp", "on"));
    CHECK_FALSE(checkSetting("register_expiry", "3600"));
    CHECK(checkSetting("register_expiry", "59"));
    CHECK(checkSetting("register_expiry", "86401"));
    for (const char* good : {"", "sbc.example.net", "sbc.example.net:5061", "192.0.2.7", "[2001:db8::1]:5060",
                             "[2001:db8::1]"})
        CHECK_FALSE(checkSetting("outbound_proxy", good));
    for (const char* bad : {"sbc example", "sbc:", "sbc:0", "sbc:65536", "sbc:50x", "2001:db8::1:5060x", "[::1",
                            "[::1]x", "sip:sbc.example.net", "sbc;transport=tls"})
        CHECK(checkSetting("backup_sip_server", bad));
    CHECK_FALSE(checkSetting("mwi_subscribe", "true"));
    CHECK_FALSE(checkSetting("mwi_subscribe", "false"));
    CHECK(checkSetting("mwi_subscribe", "yes"));
    CHECK_FALSE(checkSetting("mwi_subscribe", ""));
    for (const char* good : {"", "PCMU", "G722,PCMU,PCMA", "opus,iLBC,G729"}) CHECK_FALSE(checkSetting("codecs", good));
    for (const char* bad : {"pcmu", "PCMU,", ",PCMU", "PCMU, PCMA", "PCMU,PCMU", "GSM", "OPUS"})
        CHECK(checkSetting("codecs", bad));
    const auto twice = checkSetting("codecs", "G722,PCMA,G722");
    REQUIRE(twice);
    CHECK(twice->find("G722") != std::string::npos);
    CHECK_FALSE(checkSetting("language", "fr"));
    for (const char* bad : {"FR", "fra", "fr-FR", "f"}) CHECK(checkSetting("language", bad));
    CHECK_FALSE(checkSetting("tone_country", "FR"));
    for (const char* bad : {"fr", "FRA", "F1"}) CHECK(checkSetting("tone_country", bad));
    CHECK_FALSE(checkSetting("pickup_code", "*8"));
    CHECK_FALSE(checkSetting("pickup_code", "**"));
    CHECK(checkSetting("pickup_code", "*8a"));

    CHECK(splitCodecs("G722,PCMU") == std::vector<std::string>{"G722", "PCMU"});
    CHECK(splitCodecs("").empty());
    CHECK(effectiveSrtp({{"sip_transport", "tls"}}) == "optional");
    CHECK(effectiveSrtp({{"sip_transport", "tls"}, {"srtp", ""}}) == "optional");
    CHECK(effectiveSrtp({{"sip_transport", "udp"}}) == "off");
    CHECK(effectiveSrtp({{"sip_transport", "tls"}, {"srtp", "off"}}) == "off");
    CHECK(effectiveSrtp({{"sip_transport", "udp"}, {"srtp", "required"}}) == "required");
    const auto defaults = prov::defaultSettings();
    CHECK(defaults.at("dtmf_mode") == "rfc2833");
    CHECK(defaults.at("register_expiry") == "3600");
    CHECK(defaults.at("mwi_subscribe") == "true");
    CHECK(defaults.at("codecs").empty());
    for (const auto& [k, v] : defaults) {
        INFO(k);
        CHECK_FALSE(checkSetting(k, v));  // every default is a good value, or migration would refuse it
    }
}
