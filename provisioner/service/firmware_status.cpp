#include "provisioner/service/firmware_status.h"

namespace prov {

FirmwareProgress nextFirmwareProgress(FirmwareProgress p, const Event& e, int failed_after) {
    if (e.fw_target.empty()) return FirmwareProgress{};
    if (p.target != e.fw_target) p = FirmwareProgress{e.fw_target, "", 0, 0};
    if (e.firmware.empty()) {
        // Nothing to compare: what an earlier fetch found stands (a TFTP
        // fetch of a phone seen on target over HTTP leaves it so).
        if (e.fw_told && !p.told_at) p.told_at = e.at;
        if (p.status.empty()) p.status = "unknown";
        return p;
    }
    if (sameFirmware(e.firmware, p.target)) {
        p.status = "on_target";
        p.told_at = 0;
        p.misses = 0;
        return p;
    }
    if (!p.told_at) {
        // The first config to offer the image: the phone has not had a chance yet.
        if (e.fw_told) p.told_at = e.at;
        p.status = "upgrading";
        return p;
    }
    ++p.misses;
    p.status = p.misses >= failed_after ? "failed" : "upgrading";
    return p;
}

}  // namespace prov
