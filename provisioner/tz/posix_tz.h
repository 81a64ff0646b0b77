#pragma once

// The POSIX TZ rule a TZif file ends with (RFC 8536 section 3.3), e.g.
// "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0530>-5:30": a standard time, and
// optionally a daylight-saving time with the rule of when it starts and ends.
// Offsets here are seconds EAST of UTC (Paris in winter: +3600), the opposite
// of the POSIX string's own sign, so they read like the TZif data.
//
//   tz::PosixTz paris = TRY(tz::parsePosixTz("CET-1CEST,M3.5.0,M10.5.0/3"));
//   tz::utcOffsetAt(paris, 1784000000);   // 7200: July, summer time

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::tz {

// The day of a year a change happens on, in one of POSIX's three forms.
struct RuleDate {
    enum class Form {
        kJulian,        // Jn: 1..365, February 29 never counted (J60 is always March 1)
        kDayOfYear,     // n: 0..365, counting February 29
        kMonthWeekDay,  // Mm.w.d: weekday d (0 Sunday) of week w (1..4, 5 the last) of month m
    };
    Form form = Form::kMonthWeekDay;
    int day = 0;  // Jn, n
    int month = 0;
    int week = 0;
    int weekday = 0;

    bool operator==(const RuleDate&) const = default;
};

// A change: on `date`, at `time` seconds after local midnight (of the time in
// force before the change; default 02:00; RFC 8536 allows -167 h to 167 h).
struct ChangeRule {
    RuleDate date;
    int32_t time = 2 * 3600;

    bool operator==(const ChangeRule&) const = default;
};

struct DstRule {
    std::string name;    // "CEST", "+11"
    int32_t utc_offset;  // in force during daylight-saving time
    ChangeRule start;    // standard -> daylight-saving, in local standard time
    ChangeRule end;      // daylight-saving -> standard, in local daylight-saving time

    bool operator==(const DstRule&) const = default;
};

struct PosixTz {
    std::string std_name;  // "CET", "+0530"
    int32_t std_utc_offset = 0;
    std::optional<DstRule> dst;  // none: the standard time all year

    bool operator==(const PosixTz&) const = default;
};

// Parses a TZ rule. Refused (InvalidArgument, saying what is wrong): a
// missing or short name, an offset over 24 h, a rule field out of range,
// trailing bytes, and a daylight-saving name without its rule (POSIX leaves
// that to the implementation; zic always writes the rule).
Result<PosixTz> parsePosixTz(std::string_view text);

// The day (since 1970-01-01) that `date` names in `year`.
int64_t dayOf(const RuleDate& date, int64_t year);

// The offset in force at `utc` (seconds since the epoch).
int32_t utcOffsetAt(const PosixTz& tz, int64_t utc);

}  // namespace prov::tz
