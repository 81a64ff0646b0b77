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
    CHECK_FALSE(checkSetting("timezone", "+1"));
    CHECK_FALSE(checkSetting("timezone", "-05:30"));
    CHECK(checkSetting("timezone", "+15"));
    CHECK(checkSetting("timezone", "Paris; rm"));
    CHECK_FALSE(checkSetting("provisioning_url", "https://prov.example.net/"));
    CHECK(checkSetting("provisioning_url", "ftp://prov.example.net/"));
    CHECK(checkSetting("provisioning_url", "https://prov.example.net/\"x"));
    CHECK_FALSE(checkSetting("resync_interval", "86400"));
    CHECK(checkSetting("resync_interval", "604801"));
    CHECK(checkSetting("phone_admin_password", "a<b>c"));
    CHECK(checkSetting("dial_plan", "x\ny"));
    CHECK(checkSetting("no_such_key", "1"));
}
