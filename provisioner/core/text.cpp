#include "provisioner/core/text.h"

#include <cstdint>

namespace prov::text {

namespace {

// Decodes one code point at s[i]; returns its length or 0 when malformed.
size_t decode(std::string_view s, size_t i, uint32_t& cp) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
    const uint8_t c = b(0);
    size_t len = 0;
    uint32_t min = 0;
    if (c < 0x80) {
        cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k) {
        if ((b(k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

bool isAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool isValidUtf8(std::string_view s) {
    uint32_t cp = 0;
    for (size_t i = 0; i < s.size();) {
        const size_t n = decode(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool isPrintable(std::string_view s) {
    uint32_t cp = 0;
    for (size_t i = 0; i < s.size();) {
        const size_t n = decode(s, i, cp);
        if (n == 0) return false;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return false;
        if (cp == 0x2028 || cp == 0x2029) return false;  // line/paragraph separators
        i += n;
    }
    return true;
}

size_t codePoints(std::string_view s) {
    size_t count = 0;
    for (char c : s) {
        if ((static_cast<uint8_t>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

bool isAsciiAlnum(std::string_view s) {
    for (char c : s) {
        if (!isAsciiAlpha(c) && !isAsciiDigit(c)) return false;
    }
    return !s.empty();
}

bool isDigits(std::string_view s) {
    for (char c : s) {
        if (!isAsciiDigit(c)) return false;
    }
    return !s.empty();
}

bool isDialable(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    for (char c : s) {
        if (!isAsciiDigit(c) && c != '*' && c != '#') return false;
    }
    return !s.empty();
}

bool isEmail(std::string_view s) {
    if (s.size() > 254) return false;
    const size_t at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
        return false;
    for (char c : s.substr(0, at)) {
        if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == '"' || c == ',') return false;
    }
    const std::string_view domain = s.substr(at + 1);
    if (domain.find('.') == std::string_view::npos) return false;
    return isHost(domain);
}

bool isHost(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    if (s.find(':') != std::string_view::npos) {  // IPv6 literal
        for (char c : s) {
            if (!(isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
                  c == '.'))
                return false;
        }
        return true;
    }
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find('.', start);
        if (end == std::string_view::npos) end = s.size();
        const std::string_view label = s.substr(start, end - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label) {
            if (!isAsciiAlpha(c) && !isAsciiDigit(c) && c != '-') return false;
        }
        start = end + 1;
        if (end == s.size()) break;
    }
    return true;
}

std::string trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    const size_t e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::string toLower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string toUpper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

std::string forLog(std::string_view s) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (const unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c > 0x7E) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    return out;
}

std::string collapseSlashes(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    for (char c : path) {
        if (c == '/' && !out.empty() && out.back() == '/') continue;
        out.push_back(c);
    }
    return out;
}

}  // namespace prov::text
