#include "provisioner/render/timezone.h"

#include <chrono>
#include <cstdio>

#include "provisioner/tz/zone_database.h"

namespace prov {

namespace {

std::optional<int> parseOffset(const std::string& tz) {
    if (tz.empty() || (tz[0] != '+' && tz[0] != '-')) return std::nullopt;
    int h = 0, m = 0;
    char extra = 0;
    if (std::sscanf(tz.c_str() + 1, "%d:%d%c", &h, &m, &extra) == 2 ||
        (std::sscanf(tz.c_str() + 1, "%d%c", &h, &extra) == 1 &&
         tz.find(':') == std::string::npos)) {
        const int minutes = h * 60 + m;
        return tz[0] == '-' ? -minutes : minutes;
    }
    return std::nullopt;
}

std::shared_ptr<const tz::Zone> findZone(const std::string& name, int64_t utc) {
    return tz::ZoneDatabase::system().find(name, utc);
}

}  // namespace

std::optional<int> utcOffsetMinutes(const std::string& timezone, int64_t utc) {
    if (auto off = parseOffset(timezone)) return off;
    // These two hold even on a system without a zone database.
    if (timezone == "UTC" || timezone == "GMT") return 0;
    const auto zone = findZone(timezone, utc);
    if (!zone) return std::nullopt;
    return tz::utcOffsetAt(*zone, utc) / 60;
}

std::optional<int> utcOffsetMinutes(const std::string& timezone) {
    using namespace std::chrono;
    return utcOffsetMinutes(timezone,
                            duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

std::optional<tz::PosixTz> zoneRules(const std::string& timezone, int64_t utc) {
    if (auto off = parseOffset(timezone))
        return tz::PosixTz{formatOffsetShort(*off), *off * 60, std::nullopt};
    if (timezone == "UTC" || timezone == "GMT") return tz::PosixTz{timezone, 0, std::nullopt};
    const auto zone = findZone(timezone, utc);
    if (!zone) return std::nullopt;
    tz::PosixTz rules = tz::rulesOf(*zone);
    // The closing rule holds after the file's last listed change. Where the
    // listed changes of the coming year disagree with it (Casablanca's yearly
    // +00 weeks, a rule change announced for a date ahead), phones get the
    // offset in force now and no DST rule: right today, and re-rendered
    // within the hour of each change (the hour is in the render cache's key).
    for (int64_t t = utc; t < utc + 366 * 86400; t += 86400) {
        if (tz::utcOffsetAt(*zone, t) != tz::utcOffsetAt(rules, t)) {
            const int32_t now = tz::utcOffsetAt(*zone, utc);
            return tz::PosixTz{formatOffsetShort(now / 60), now, std::nullopt};
        }
    }
    return rules;
}

std::string formatOffsetShort(int minutes) {
    const char sign = minutes < 0 ? '-' : '+';
    const int a = minutes < 0 ? -minutes : minutes;
    char buf[16];
    if (a % 60) {
        std::snprintf(buf, sizeof buf, "%c%d:%02d", sign, a / 60, a % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%c%d", sign, a / 60);
    }
    return buf;
}

std::string formatOffsetGmt(int minutes) {
    const char sign = minutes < 0 ? '-' : '+';
    const int a = minutes < 0 ? -minutes : minutes;
    char buf[16];
    std::snprintf(buf, sizeof buf, "GMT%c%02d:%02d", sign, a / 60, a % 60);
    return buf;
}

std::string formatOffsetPosix(int minutes) {
    const int a = minutes < 0 ? -minutes : minutes;
    char name[16];
    char rule[16];
    if (a % 60) {
        std::snprintf(name, sizeof name, "<%c%02d%02d>", minutes < 0 ? '-' : '+', a / 60, a % 60);
        std::snprintf(rule, sizeof rule, "%s%d:%02d", minutes > 0 ? "-" : "", a / 60, a % 60);
    } else {
        std::snprintf(name, sizeof name, "<%c%02d>", minutes < 0 ? '-' : '+', a / 60);
        std::snprintf(rule, sizeof rule, "%s%d", minutes > 0 ? "-" : "", a / 60);
    }
    return std::string(name) + rule;
}

}  // namespace prov
