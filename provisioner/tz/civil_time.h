#pragma once

// Proleptic Gregorian calendar arithmetic on days since 1970-01-01, for any
// year, without the C library (Howard Hinnant's days_from_civil and
// civil_from_days).

#include <cstdint>

namespace prov::tz {

constexpr int64_t floorDiv(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

constexpr bool isLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int daysInMonth(int64_t y, int m) {
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

// 1970-01-01 -> 0; month 1..12, day 1..31.
constexpr int64_t daysFromCivil(int64_t y, int m, int d) {
    y -= m <= 2;
    const int64_t era = floorDiv(y, 400);
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// The year a day (since 1970-01-01) falls in.
constexpr int64_t yearOfDay(int64_t days) {
    days += 719468;
    const int64_t era = floorDiv(days, 146097);
    const int64_t doe = days - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

// 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday).
constexpr int weekdayOf(int64_t days) { return static_cast<int>(((days % 7) + 11) % 7); }

static_assert(daysFromCivil(1970, 1, 1) == 0);
static_assert(daysFromCivil(2000, 3, 1) == 11017);
static_assert(yearOfDay(-1) == 1969 && yearOfDay(0) == 1970 && yearOfDay(11016) == 2000);
static_assert(weekdayOf(0) == 4 && weekdayOf(-1) == 3 && weekdayOf(daysFromCivil(2026, 3, 8)) == 0);

}  // namespace prov::tz
