#pragma once

// MAC -> DeviceProfile: the device, its lines in phone_reg order, their
// buttons as the phone's keys, and the settings with the device's overrides.

#include <optional>
#include <string>

#include "provisioner/core/result.h"
#include "provisioner/model/profile.h"
#include "provisioner/store/store.h"

namespace prov {

class DeviceResolver {
public:
    explicit DeviceResolver(Store& store) : store_(store) {}
    // nullopt when the store does not know `mac` (canonical).
    Result<std::optional<DeviceProfile>> resolve(const std::string& mac);
    // Global settings with defaults filled in.
    Result<SettingsMap> globalSettings();

private:
    Store& store_;
};

}  // namespace prov
