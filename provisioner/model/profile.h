#pragma once

// Everything the renderer needs to know about one phone, gathered by resolve/.

#include <optional>
#include <vector>

#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"

namespace prov {

struct DeviceProfile {
    Device device;
    std::vector<Extension> lines;  // bound extensions in phone_reg order
    std::vector<Button> keys;      // buttons of all lines, in key order; `line` is the phone line
    SettingsMap settings;          // global settings with the device's overrides applied
    // The device's provisioning credentials, filled for configs that carry
    // secrets (service/phone_proofs.h).
    std::optional<DeviceCredentials> credentials;
};

}  // namespace prov
