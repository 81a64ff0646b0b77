#pragma once

// A time zone's rule (tz/posix_tz.h) in the pieces phones' configuration
// files ask for: a standard offset, and when the zone has daylight-saving time
// its offset and the start and end as month, week of month (5 = the last),
// weekday and local time, or as a fixed date. The `tz_*` template variables
// (vendor-templates/README.md) are made from these.
//
//   auto paris = zoneFields("Europe/Paris", rules, 2026);
//   paris.std_minutes;                 // 60
//   paris.dst->start;                  // March, week 5 (last), Sunday, 02:00
//   zoneVariables(paris).text["tz_dst_start_weekday_mon1"];  // "7"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "provisioner/tz/posix_tz.h"

namespace prov {

// One change between standard and daylight-saving time.
struct DstChange {
    bool by_week =
        true;         // the rule is "weekday of a week of a month"; else a fixed day of the year
    int month = 1;    // 1..12
    int week = 1;     // 1..5, 5 = the last such weekday of the month (by_week)
    int weekday = 0;  // 0 Sunday .. 6 Saturday (by_week)
    int day = 1;      // day of the month: the fixed date, or for by_week the date in `year`
    int hour = 0;     // local time of the change, 00:00:00 to 23:59:59
    int minute = 0;
    int second = 0;

    bool operator==(const DstChange&) const = default;
};

struct ZoneDst {
    int minutes = 0;       // UTC offset during daylight-saving time
    int save_minutes = 0;  // minutes - std_minutes, always > 0
    DstChange start;       // in local standard time
    DstChange end;         // in local daylight-saving time

    bool operator==(const ZoneDst&) const = default;
};

struct ZoneFields {
    std::string name;      // the setting: "Europe/Paris", "UTC", or an old offset "+5:30"
    std::string std_abbr;  // "CET"; letters only, "STD" when the zone's own is numeric ("+0530")
    std::string dst_abbr;  // "CEST"; "DST" when numeric
    int std_minutes = 0;   // UTC offset, minutes east
    std::optional<ZoneDst> dst;

    bool operator==(const ZoneFields&) const = default;
};

// The fields of `rules`, dates computed for `year` where a form needs one.
// Normalised for phones: a change time outside 0..24 h (POSIX allows
// -167..167 h, e.g. Asia/Jerusalem's M3.4.4/26) moves the weekday (or date)
// and keeps the week, which is exact except near a month's end; a zone whose
// "daylight-saving" offset is below its standard one (Europe/Dublin) is turned
// round so the saving is positive; a rule in force all year
// ("EST5EDT,0/0,J365/25") is its daylight-saving offset as a standard time.
ZoneFields zoneFields(std::string name, const tz::PosixTz& rules, int64_t year);

// The template variables of `z` (names in vendor-templates/README.md, "Time
// zone"): `text` values and `flags` for sections.
struct ZoneVariables {
    std::map<std::string, std::string> text;
    std::map<std::string, bool> flags;
};
ZoneVariables zoneVariables(const ZoneFields& z);

}  // namespace prov
