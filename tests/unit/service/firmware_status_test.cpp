// Firmware status: how each fetch of the file carrying the firmware keys
// moves a device (firmware_status.h).

#include "provisioner/service/firmware_status.h"

#include <catch2/catch.hpp>

using namespace prov;

namespace {

Event fetch(const std::string& reported, const std::string& target, bool told, int64_t at) {
    Event e;
    e.at = at;
    e.firmware = reported;
    e.fw_target = target;
    e.fw_told = told;
    return e;
}

}  // namespace

TEST_CASE("a phone told to upgrade is upgrading, then failed after three more fetches on the old version") {
    FirmwareProgress p;
    p = nextFirmwareProgress(p, fetch("108.86.0.20", "108.86.0.90", true, 100), 3);
    CHECK(p.status == "upgrading");
    CHECK(p.told_at == 100);
    CHECK(p.misses == 0);
    p = nextFirmwareProgress(p, fetch("108.86.0.20", "108.86.0.90", true, 200), 3);
    CHECK(p.status == "upgrading");
    CHECK(p.misses == 1);
    p = nextFirmwareProgress(p, fetch("108.86.0.20", "108.86.0.90", true, 300), 3);
    CHECK(p.status == "upgrading");
    p = nextFirmwareProgress(p, fetch("108.86.0.20", "108.86.0.90", true, 400), 3);
    CHECK(p.status == "failed");
    CHECK(p.misses == 3);
    CHECK(p.told_at == 100);
}

TEST_CASE("a phone that comes back on its target is on target, in any case and with blanks") {
    FirmwareProgress p;
    p = nextFirmwareProgress(p, fetch("2.12.16.17", "2.12.22.2", true, 10), 3);
    p = nextFirmwareProgress(p, fetch(" 2.12.22.2", "2.12.22.2", false, 20), 3);
    CHECK(p.status == "on_target");
    CHECK(p.misses == 0);
    CHECK(p.told_at == 0);
    p = nextFirmwareProgress(p, fetch("10.1.215.13-SIP", "10.1.215.13-sip", false, 30), 3);
    CHECK(p.status == "on_target");
}

TEST_CASE("a phone that reports no firmware is unknown, never failed") {
    FirmwareProgress p;
    for (int i = 0; i < 10; ++i) p = nextFirmwareProgress(p, fetch("", "1.2.3", true, 100 + i), 3);
    CHECK(p.status == "unknown");
    CHECK(p.misses == 0);
    CHECK(p.told_at == 100);
}

TEST_CASE("a fetch that reports no firmware leaves what an earlier one found") {
    FirmwareProgress p;
    p = nextFirmwareProgress(p, fetch("2.0", "2.0", false, 1), 3);
    REQUIRE(p.status == "on_target");
    p = nextFirmwareProgress(p, fetch("", "2.0", false, 2), 3);
    CHECK(p.status == "on_target");
    p = nextFirmwareProgress(p, fetch("", "3.0", true, 3), 3);
    CHECK(p.status == "unknown");  // a new target: nothing known of it yet
}

TEST_CASE("a new target starts the count again, and no target clears the status") {
    FirmwareProgress p;
    p = nextFirmwareProgress(p, fetch("1.0", "2.0", true, 1), 2);
    p = nextFirmwareProgress(p, fetch("1.0", "2.0", true, 2), 2);
    p = nextFirmwareProgress(p, fetch("1.0", "2.0", true, 3), 2);
    REQUIRE(p.status == "failed");
    p = nextFirmwareProgress(p, fetch("1.0", "3.0", true, 4), 2);
    CHECK(p.target == "3.0");
    CHECK(p.status == "upgrading");
    CHECK(p.misses == 0);
    CHECK(p.told_at == 4);
    p = nextFirmwareProgress(p, fetch("1.0", "", false, 5), 2);
    CHECK(p.target.empty());
    CHECK(p.status.empty());
}

TEST_CASE("a fetch that was not told to upgrade counts no miss") {
    FirmwareProgress p;
    // No provisioning URL: the config could not offer the image.
    for (int i = 0; i < 5; ++i) p = nextFirmwareProgress(p, fetch("1.0", "2.0", false, i + 1), 3);
    CHECK(p.status == "upgrading");
    CHECK(p.misses == 0);
    CHECK(p.told_at == 0);
}
