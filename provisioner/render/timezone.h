#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "provisioner/tz/posix_tz.h"

namespace prov {

// The UTC offset of a time zone setting at `utc` (seconds since the epoch),
// in minutes: an offset ("+1", "-05:30") directly, an IANA name
// (Europe/Paris) from the system's zone database (tz/zone_database.h).
// nullopt when the name is unknown.
std::optional<int> utcOffsetMinutes(const std::string& timezone, int64_t utc);
// The same at the system clock's time.
std::optional<int> utcOffsetMinutes(const std::string& timezone);

// The rules of a time zone setting from `utc` on: its standard offset and,
// when it has one, its daylight-saving offset and when that starts and ends.
// A fixed offset ("+5:30") is a standard time all year. nullopt when unknown.
std::optional<tz::PosixTz> zoneRules(const std::string& timezone, int64_t utc);

// 60 -> "+1", -330 -> "-5:30", 345 -> "+5:45", 0 -> "+0"
std::string formatOffsetShort(int minutes);
// 60 -> "GMT+01:00"
std::string formatOffsetGmt(int minutes);
// POSIX TZ, whose sign is inverted: 60 -> "<+01>-1", -330 -> "<-0530>5:30"
std::string formatOffsetPosix(int minutes);

}  // namespace prov
