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

// kBoolean values are "true" or "false" (JSON true/false in the API).
enum class SettingType { kText, kInteger, kSecret, kBoolean };

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

// An error sentence for a bad value, or nullopt when `value` is fine. Only
// the value's form is checked here; whether a device's vendor can express it
// is ModelCatalog::settingProblem's question.
std::optional<std::string> checkSetting(std::string_view key, const std::string& value);

// The codec names `codecs` takes (IANA/RFC 3551 spelling), in no order.
const std::vector<std::string_view>& knownCodecs();

// `codecs` split at its commas ("" gives none).
std::vector<std::string> splitCodecs(const std::string& value);

// The SRTP mode a device gets: `srtp` when set, else `optional` with
// sip_transport `tls` and `off` otherwise.
std::string effectiveSrtp(const SettingsMap& settings);

}  // namespace prov
