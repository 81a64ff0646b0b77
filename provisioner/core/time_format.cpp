#include "provisioner/core/time_format.h"

#include <cstdio>
#include <ctime>

#include "provisioner/core/text.h"

namespace prov {

std::string formatUtc(int64_t epoch_seconds) {
    const std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<int64_t> parseUtc(std::string_view text) {
    if (text::isDigits(text) && text.size() <= 12) return std::stoll(std::string(text));
    if (text.size() != 20) return std::nullopt;
    std::tm tm{};
    char z = 0;
    const std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        z != 'Z')
        return std::nullopt;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(timegm(&tm));
}

std::optional<int64_t> parseExpiry(std::string_view text, int64_t now) {
    if (text.size() >= 2 && (text.back() == 'd' || text.back() == 'h')) {
        const std::string_view digits = text.substr(0, text.size() - 1);
        if (!text::isDigits(digits) || digits.size() > 6) return std::nullopt;
        const int64_t n = std::stoll(std::string(digits));
        const bool days = text.back() == 'd';
        if (n < 1 || n > (days ? 36500 : 876000)) return std::nullopt;
        return now + n * (days ? 86400 : 3600);
    }
    if (text.size() == 10) return parseUtc(std::string(text) + "T00:00:00Z");
    if (text.size() == 20) return parseUtc(text);
    return std::nullopt;
}

}  // namespace prov
