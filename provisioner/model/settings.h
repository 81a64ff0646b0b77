#pragma once

// Provisioning defaults (design.md `settings`), global and overridable per
// device. Values are kept as text; each key has a type and a check.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prov {

using SettingsMap = std::map<std::string, std::string>;

enum class SettingType { kText, kInteger, kSecret };

struct SettingSpec {
    std::string_view key;
    SettingType type;
    std::string_view default_value;
};

const std::vector<SettingSpec>& settingSpecs();
const SettingSpec* findSetting(std::string_view key);

// Defaults for every key.
SettingsMap defaultSettings();

// An error sentence for a bad value, or nullopt when `value` is fine.
std::optional<std::string> checkSetting(std::string_view key, const std::string& value);

}  // namespace prov
