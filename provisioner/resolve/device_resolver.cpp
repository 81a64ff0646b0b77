#include "provisioner/resolve/device_resolver.h"

#include <algorithm>
#include <set>

namespace prov {

Result<std::optional<DeviceProfile>> DeviceResolver::resolve(const std::string& mac) {
    std::optional<DeviceProfile> out;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto device = tx.getDevice(mac);
        if (!device) return device.error();
        // A phone seen but never added (unassigned) has nothing to be given yet.
        if (!device.value() || device.value()->state == DeviceState::kUnassigned) return okStatus();
        DeviceProfile p;
        p.device = *device.value();
        auto lines = tx.extensionsOnDevice(mac);
        if (!lines) return lines.error();
        p.lines = std::move(lines).value();
        // Keys: every line's buttons, the first line's winning where two
        // claim the same key. A button's own `line` names the phone line.
        std::set<int> taken;
        for (const Extension& e : p.lines) {
            auto buttons = tx.getButtons(e.id);
            if (!buttons) return buttons.error();
            for (const Button& b : buttons.value()) {
                if (taken.insert(b.index).second) p.keys.push_back(b);
            }
        }
        std::sort(p.keys.begin(), p.keys.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
        p.settings = defaultSettings();
        for (const std::string& scope : {std::string(), mac}) {
            auto s = tx.getSettings(scope);
            if (!s) return s.error();
            for (auto& [k, v] : s.value()) p.settings[k] = v;
        }
        out = std::move(p);
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

Result<SettingsMap> DeviceResolver::globalSettings() {
    SettingsMap out = defaultSettings();
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto s = tx.getSettings("");
        if (!s) return s.error();
        for (auto& [k, v] : s.value()) out[k] = v;
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

}  // namespace prov
