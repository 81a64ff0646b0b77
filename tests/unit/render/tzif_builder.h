#pragma once

// Builds TZif bytes (RFC 8536) for tests: a version 1 file, or a version 2+
// file with both data blocks and a footer.

#include <cstdint>
#include <string>
#include <vector>

namespace prov::testing {

struct TzifType {
    int32_t offset;
    bool dst;
    std::string abbreviation;
};

struct TzifSpec {
    char version = '2';  // '\0' for version 1
    std::vector<int64_t> times;
    std::vector<uint8_t> indexes;
    std::vector<TzifType> types;
    std::string footer;       // without its newlines
    uint32_t leap_count = 0;  // leap records, written as zeros
};

inline void putBig(std::string& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::string tzifBytes(const TzifSpec& s) {
    std::string chars;
    std::vector<uint8_t> desig;
    for (const TzifType& t : s.types) {
        desig.push_back(static_cast<uint8_t>(chars.size()));
        chars += t.abbreviation;
        chars.push_back('\0');
    }
    auto block = [&](std::string& out, int time_size) {
        out += "TZif";
        out.push_back(s.version);
        out += std::string(15, '\0');
        for (uint64_t n :
             {uint64_t{s.types.size()}, uint64_t{s.types.size()}, uint64_t{s.leap_count},
              uint64_t{s.times.size()}, uint64_t{s.types.size()}, uint64_t{chars.size()}})
            putBig(out, n, 4);
        for (int64_t t : s.times) putBig(out, static_cast<uint64_t>(t), time_size);
        for (uint8_t i : s.indexes) out.push_back(static_cast<char>(i));
        for (size_t i = 0; i < s.types.size(); ++i) {
            putBig(out, static_cast<uint32_t>(s.types[i].offset), 4);
            out.push_back(s.types[i].dst ? 1 : 0);
            out.push_back(static_cast<char>(desig[i]));
        }
        out += chars;
        out += std::string(s.leap_count * (time_size + 4), '\0');
        out += std::string(s.types.size() * 2, '\0');  // standard/wall and UT/local indicators
    };
    std::string out;
    block(out, 4);
    if (s.version == '\0') return out;
    block(out, 8);
    out += "\n" + s.footer + "\n";
    return out;
}

}  // namespace prov::testing
