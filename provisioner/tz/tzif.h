#pragma once

// A TZif time zone file (RFC 8536; what /usr/share/zoneinfo holds), read from
// its bytes without the C library's time zone state: the transition table and
// the POSIX rule that continues it past the last transition.
//
//   tz::Zone paris = TRY(tz::parseTzif(bytes));
//   tz::utcOffsetAt(paris, 1784000000);   // 7200
//   tz::rulesOf(paris);                   // CET +1, CEST +2 from M3.5.0 to M10.5.0/3

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/tz/posix_tz.h"

namespace prov::tz {

struct LocalTimeType {
    int32_t utc_offset = 0;  // seconds east of UTC
    bool is_dst = false;
    std::string abbreviation;  // "CEST"
};

struct Zone {
    int version = 1;                        // 1, 2, 3 or 4
    std::vector<int64_t> transitions;       // ascending UTC instants
    std::vector<uint8_t> transition_types;  // index into `types`, one per transition
    std::vector<LocalTimeType> types;       // never empty
    std::optional<PosixTz> footer;          // version 2+ files, when not empty
};

// Reads a TZif file: version 1 from its 32-bit data, version 2 and later from
// the 64-bit block and its footer. Refused (InvalidArgument): a wrong magic
// or version, a block cut short, counts or indexes out of range, transitions
// out of order, an offset beyond 25 hours, a footer that does not parse.
Result<Zone> parseTzif(std::string_view bytes);

// The offset in force at `utc`: before the first transition the first type's,
// after the last the footer's rule (or the last type when there is none).
int32_t utcOffsetAt(const Zone& zone, int64_t utc);

// The zone's rule from now on: its footer, or for a version 1 file the type
// of its last transition as a standard time all year.
PosixTz rulesOf(const Zone& zone);

}  // namespace prov::tz
