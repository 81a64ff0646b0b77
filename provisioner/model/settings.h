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

// The UTC offset in minutes of a `timezone` value written as an offset
// ("+1", "-05:30"), the form taken before zone names were required; nullopt
// for anything else. Such values are left in stores the migration could not
// convert, and are still rendered as a fixed offset.
std::optional<int> legacyOffsetMinutes(const std::string& value);

// The Etc zone of a whole-hour offset: 60 -> "Etc/GMT-1" (the Etc sign is
// POSIX's, inverted), 0 -> "Etc/GMT"; "" when there is none (330, -780).
std::string etcZoneFor(int minutes);

// An error sentence for a bad value, or nullopt when `value` is fine.
std::optional<std::string> checkSetting(std::string_view key, const std::string& value);

}  // namespace prov
