#include "provisioner/resolve/device_resolver.h"

#include <algorithm>
#include <set>

namespace prov {

Result<std::optional<DeviceProfile>> DeviceResolver::resolve(const std::string& mac) {
    std::optional<DeviceProfile> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        const std::optional<Device> device = TRY(tx.getDevice(mac));
        // A phone seen but never added (unassigned) has nothing to be given yet.
        if (!device || device->state == DeviceState::kUnassigned) return okStatus();
        DeviceProfile p;
        p.device = *device;
        p.lines = TRY(tx.extensionsOnDevice(mac));
        // Keys: every line's buttons, the first line's winning where two
        // claim the same key. A button's own `line` names the phone line.
        std::set<int> taken;
        for (const Extension& e : p.lines) {
            for (const Button& b : TRY(tx.getButtons(e.id))) {
                if (taken.insert(b.index).second) p.keys.push_back(b);
            }
        }
        std::sort(p.keys.begin(), p.keys.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
        p.settings = defaultSettings();
        for (const std::string& scope : {std::string(), mac}) {
            for (auto& [k, v] : TRY(tx.getSettings(scope))) p.settings[k] = v;
        }
        out = std::move(p);
        return okStatus();
    }));
    return out;
}

Result<SettingsMap> DeviceResolver::globalSettings() {
    SettingsMap out = defaultSettings();
    TRY(store_.read([&](StoreTx& tx) -> Status {
        for (auto& [k, v] : TRY(tx.getSettings(""))) out[k] = v;
        return okStatus();
    }));
    return out;
}

}  // namespace prov
