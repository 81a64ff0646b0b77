#include "provisioner/tz/tzif.h"

#include <algorithm>
#include <cstring>

namespace prov::tz {

namespace {

Error refuse(const std::string& what) { return Error::invalid("TZif data: " + what); }

// Big-endian reads over the file's bytes; callers check `has` first.
class Bytes {
  public:
    explicit Bytes(std::string_view b) : b_(b) {}
    bool has(uint64_t n) const { return n <= b_.size() - pos_; }
    uint8_t u8() { return static_cast<uint8_t>(b_[pos_++]); }
    uint32_t u32() {
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
        return v;
    }
    int64_t i64() {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
        return static_cast<int64_t>(v);
    }
    int64_t time(int size) { return size == 8 ? i64() : static_cast<int32_t>(u32()); }
    std::string_view take(size_t n) {
        const std::string_view out = b_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    std::string_view rest() const { return b_.substr(pos_); }

  private:
    std::string_view b_;
    size_t pos_ = 0;
};

struct Header {
    int version = 1;
    uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

    // The bytes of the data block that follows, with `time_size`-byte times.
    uint64_t blockSize(int time_size) const {
        return uint64_t{timecnt} * (time_size + 1) + uint64_t{typecnt} * 6 + charcnt +
               uint64_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
    }
};

Result<Header> readHeader(Bytes& in) {
    if (!in.has(44)) return refuse("shorter than its 44-byte header");
    if (in.take(4) != "TZif") return refuse("not a TZif file (no 'TZif' magic)");
    Header h;
    const char v = static_cast<char>(in.u8());
    if (v != '\0' && (v < '2' || v > '4')) return refuse("unknown version");
    h.version = v == '\0' ? 1 : v - '0';
    (void)in.take(15);
    h.isutcnt = in.u32();
    h.isstdcnt = in.u32();
    h.leapcnt = in.u32();
    h.timecnt = in.u32();
    h.typecnt = in.u32();
    h.charcnt = in.u32();
    return h;
}

// Only the block in use is checked: a version 2+ reader skips the version 1 block.
Status checkHeader(const Header& h) {
    if (h.typecnt == 0 || h.typecnt > 256 || h.charcnt == 0)
        return refuse("no local time types, or too many");
    if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt))
        return refuse("indicator counts differ from the type count");
    return okStatus();
}

Result<LocalTimeType> readType(Bytes& in, std::string_view chars, uint32_t charcnt) {
    LocalTimeType t;
    t.utc_offset = static_cast<int32_t>(in.u32());
    const uint8_t dst = in.u8();
    const uint8_t index = in.u8();
    if (t.utc_offset < -89999 || t.utc_offset > 93599) return refuse("an offset beyond 25 hours");
    if (dst > 1 || index >= charcnt) return refuse("a local time type out of range");
    const std::string_view rest = chars.substr(index, charcnt - index);
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return refuse("an abbreviation without its terminating NUL");
    t.is_dst = dst == 1;
    t.abbreviation = std::string(rest.substr(0, nul));
    return t;
}

// One data block (RFC 8536 section 3.2); leap seconds and indicators are skipped.
Result<Zone> readBlock(Bytes& in, const Header& h, int time_size) {
    TRY(checkHeader(h));
    if (!in.has(h.blockSize(time_size))) return refuse("data block cut short");
    Zone z;
    z.version = h.version;
    z.transitions.reserve(h.timecnt);
    for (uint32_t i = 0; i < h.timecnt; ++i) {
        z.transitions.push_back(in.time(time_size));
        if (i > 0 && z.transitions[i] <= z.transitions[i - 1])
            return refuse("transitions out of order");
    }
    const std::string_view indexes = in.take(h.timecnt);
    for (char c : indexes) {
        if (static_cast<uint8_t>(c) >= h.typecnt)
            return refuse("a transition names a type that does not exist");
        z.transition_types.push_back(static_cast<uint8_t>(c));
    }
    Bytes types = in;
    (void)in.take(uint64_t{h.typecnt} * 6);
    const std::string_view chars = in.take(h.charcnt);
    for (uint32_t i = 0; i < h.typecnt; ++i)
        z.types.push_back(TRY(readType(types, chars, h.charcnt)));
    (void)in.take(uint64_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt);
    return z;
}

// "\n<TZ string>\n" after the version 2+ data; an empty string means none.
Result<std::optional<PosixTz>> readFooter(std::string_view rest) {
    if (rest.size() < 2 || rest.front() != '\n') return refuse("footer missing");
    const size_t end = rest.find('\n', 1);
    if (end == std::string_view::npos) return refuse("footer without its closing newline");
    const std::string_view text = rest.substr(1, end - 1);
    if (text.empty()) return std::optional<PosixTz>{};
    auto tz = parsePosixTz(text);
    if (!tz) return refuse("footer: " + tz.error().message);
    return std::optional<PosixTz>(std::move(tz).value());
}

}  // namespace

Result<Zone> parseTzif(std::string_view bytes) {
    Bytes in(bytes);
    const Header v1 = TRY(readHeader(in));
    if (v1.version == 1) return readBlock(in, v1, 4);
    if (!in.has(v1.blockSize(4))) return refuse("version 1 data block cut short");
    (void)in.take(v1.blockSize(4));
    const Header v2 = TRY(readHeader(in));
    if (v2.version != v1.version) return refuse("the two headers disagree on the version");
    Zone zone = TRY(readBlock(in, v2, 8));
    zone.footer = TRY(readFooter(in.rest()));
    return zone;
}

int32_t utcOffsetAt(const Zone& zone, int64_t utc) {
    if (zone.transitions.empty() || utc >= zone.transitions.back()) {
        if (zone.footer) return utcOffsetAt(*zone.footer, utc);
        if (zone.transitions.empty()) return zone.types[0].utc_offset;
    }
    const auto after = std::upper_bound(zone.transitions.begin(), zone.transitions.end(), utc);
    if (after == zone.transitions.begin()) return zone.types[0].utc_offset;
    const size_t i = static_cast<size_t>(after - zone.transitions.begin()) - 1;
    return zone.types[zone.transition_types[i]].utc_offset;
}

PosixTz rulesOf(const Zone& zone) {
    if (zone.footer) return *zone.footer;
    const LocalTimeType& last =
        zone.transitions.empty() ? zone.types[0] : zone.types[zone.transition_types.back()];
    return PosixTz{last.abbreviation, last.utc_offset, std::nullopt};
}

}  // namespace prov::tz
