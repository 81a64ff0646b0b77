#pragma once

#include <optional>
#include <string>

namespace prov {

// The current UTC offset of a time zone setting, in minutes: an offset
// ("+1", "-05:30") directly, an IANA name (Europe/Paris) from the system's
// zone database. nullopt when the name is unknown.
std::optional<int> utcOffsetMinutes(const std::string& timezone);

// 60 -> "+1", -330 -> "-5:30", 345 -> "+5:45", 0 -> "+0"
std::string formatOffsetShort(int minutes);
// 60 -> "GMT+01:00"
std::string formatOffsetGmt(int minutes);
// POSIX TZ, whose sign is inverted: 60 -> "<+01>-1", -330 -> "<-0530>5:30"
std::string formatOffsetPosix(int minutes);

}  // namespace prov
