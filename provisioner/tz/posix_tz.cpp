#include "provisioner/tz/posix_tz.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "provisioner/tz/civil_time.h"

namespace prov::tz {

namespace {

// A cursor over the TZ string; each read either consumes what it read or
// leaves the position and reports an error.
class Reader {
  public:
    explicit Reader(std::string_view text) : text_(text) {}

    bool done() const { return pos_ == text_.size(); }
    char peek() const { return done() ? '\0' : text_[pos_]; }
    bool take(char c) {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }

    // A name: three or more letters, or <...> of letters, digits, '+' and '-'.
    Result<std::string> name(const char* what) {
        std::string out;
        if (take('<')) {
            while (!done() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '+' ||
                               peek() == '-'))
                out.push_back(text_[pos_++]);
            if (!take('>')) return fail(std::string(what) + " name: '<' without its '>'");
        } else {
            while (!done() && std::isalpha(static_cast<unsigned char>(peek())))
                out.push_back(text_[pos_++]);
        }
        if (out.size() < 3) return fail(std::string(what) + " name: fewer than three characters");
        return out;
    }

    // [+-]hh[:mm[:ss]] in seconds, hours at most `max_hours`.
    Result<int32_t> duration(const char* what, int max_hours) {
        int sign = 1;
        if (take('-')) {
            sign = -1;
        } else {
            (void)take('+');
        }
        const auto hours = number(1, 3);
        if (!hours || *hours > max_hours)
            return fail(std::string(what) + ": hours missing or over " + std::to_string(max_hours));
        int32_t seconds = *hours * 3600;
        for (int32_t unit : {60, 1}) {
            if (!take(':')) break;
            const auto part = number(2, 2);
            if (!part || *part > 59)
                return fail(std::string(what) + ": minutes or seconds not 00 to 59");
            seconds += *part * unit;
        }
        return sign * seconds;
    }

    // `min_digits` to `max_digits` decimal digits; nullopt otherwise.
    std::optional<int> number(int min_digits, int max_digits) {
        int value = 0;
        int digits = 0;
        while (digits < max_digits && std::isdigit(static_cast<unsigned char>(peek()))) {
            value = value * 10 + (text_[pos_++] - '0');
            ++digits;
        }
        if (digits < min_digits || std::isdigit(static_cast<unsigned char>(peek())))
            return std::nullopt;
        return value;
    }

    Error fail(const std::string& what) const {
        return Error::invalid("time zone rule '" + std::string(text_) + "': " + what);
    }

  private:
    std::string_view text_;
    size_t pos_ = 0;
};

Result<RuleDate> ruleDate(Reader& r) {
    RuleDate d;
    if (r.take('M')) {
        d.form = RuleDate::Form::kMonthWeekDay;
        d.month = r.number(1, 2).value_or(-1);
        d.week = r.take('.') ? r.number(1, 1).value_or(-1) : -1;
        d.weekday = r.take('.') ? r.number(1, 1).value_or(-1) : -1;
        if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.weekday < 0 ||
            d.weekday > 6)
            return r.fail("Mm.w.d needs month 1-12, week 1-5 and weekday 0-6");
        return d;
    }
    d.form = r.take('J') ? RuleDate::Form::kJulian : RuleDate::Form::kDayOfYear;
    d.day = r.number(1, 3).value_or(-1);
    const int low = d.form == RuleDate::Form::kJulian ? 1 : 0;
    if (d.day < low || d.day > 365) return r.fail("day of the year out of range");
    return d;
}

Result<ChangeRule> changeRule(Reader& r) {
    if (!r.take(',')) return r.fail("a daylight-saving rule needs ',start,end'");
    ChangeRule c;
    c.date = TRY(ruleDate(r));
    if (r.take('/')) c.time = TRY(r.duration("change time", 167));
    return c;
}

}  // namespace

int64_t dayOf(const RuleDate& d, int64_t year) {
    const int64_t jan1 = daysFromCivil(year, 1, 1);
    switch (d.form) {
        case RuleDate::Form::kJulian:
            return jan1 + d.day - 1 + (isLeapYear(year) && d.day >= 60 ? 1 : 0);
        case RuleDate::Form::kDayOfYear:
            return jan1 + d.day;
        case RuleDate::Form::kMonthWeekDay:
            break;
    }
    const int64_t first = daysFromCivil(year, d.month, 1);
    int64_t offset = (d.weekday - weekdayOf(first) + 7) % 7 + (d.week - 1) * 7;
    while (offset >= daysInMonth(year, d.month)) offset -= 7;  // week 5: the last such weekday
    return first + offset;
}

namespace {

// The instant a change happens, its time read in the offset in force before it.
int64_t changeAt(const ChangeRule& c, int64_t year, int32_t offset_before) {
    return dayOf(c.date, year) * 86400 + c.time - offset_before;
}

}  // namespace

Result<PosixTz> parsePosixTz(std::string_view text) {
    Reader r(text);
    PosixTz tz;
    tz.std_name = TRY(r.name("standard time"));
    tz.std_utc_offset = -TRY(r.duration("standard offset", 24));
    if (r.done()) return tz;
    DstRule dst;
    dst.name = TRY(r.name("daylight-saving time"));
    dst.utc_offset = tz.std_utc_offset + 3600;
    if (r.peek() != ',') dst.utc_offset = -TRY(r.duration("daylight-saving offset", 24));
    if (r.done()) return r.fail("a daylight-saving name without its rule");
    dst.start = TRY(changeRule(r));
    dst.end = TRY(changeRule(r));
    if (!r.done()) return r.fail("unexpected characters after the rule");
    tz.dst = std::move(dst);
    return tz;
}

int32_t utcOffsetAt(const PosixTz& tz, int64_t utc) {
    if (!tz.dst) return tz.std_utc_offset;
    const DstRule& dst = *tz.dst;
    // Far beyond any calendar that matters, the arithmetic below must not overflow.
    constexpr int64_t kLimit = int64_t{1} << 52;
    utc = std::clamp(utc, -kLimit, kLimit);
    // Change times may lie up to a week outside their own year (RFC 8536
    // allows 167 h), so the latest change at or before `utc` is looked for
    // among the neighbouring years too. When an end and a start fall on the
    // same instant (daylight-saving time all year) the start wins.
    const int64_t year = yearOfDay(floorDiv(utc + tz.std_utc_offset, 86400));
    int64_t latest = std::numeric_limits<int64_t>::min();
    bool in_dst = false;
    for (int64_t y = year - 2; y <= year + 1; ++y) {
        const int64_t start = changeAt(dst.start, y, tz.std_utc_offset);
        const int64_t end = changeAt(dst.end, y, dst.utc_offset);
        if (end <= utc && end > latest) {
            latest = end;
            in_dst = false;
        }
        if (start <= utc && start >= latest) {
            latest = start;
            in_dst = true;
        }
    }
    return in_dst ? dst.utc_offset : tz.std_utc_offset;
}

}  // namespace prov::tz
