#include "provisioner/render/escape.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <utility>

#include "provisioner/render/panasonic_file.h"
#include "provisioner/render/xml_check.h"

namespace prov {

std::string escapeKv(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<uint8_t>(c);
        out.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
    }
    return out;
}

std::string escapeXml(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 16);
    for (size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        // U+FFFE and U+FFFF are not XML characters either.
        if (static_cast<uint8_t>(c) == 0xEF && value.substr(i, 2) == "\xEF\xBF" && i + 2 < value.size() &&
            (static_cast<uint8_t>(value[i + 2]) == 0xBE || static_cast<uint8_t>(value[i + 2]) == 0xBF)) {
            out.push_back(' ');
            i += 2;
            continue;
        }
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 allows TAB, LF, CR below 0x20; in an attribute they
                // would be normalised to spaces, so write spaces outright.
                if (static_cast<uint8_t>(c) < 0x20 || c == 0x7F) {
                    out.push_back(' ');
                } else {
                    out.push_back(c);
                }
        }
    }
    return out;
}

std::string escapeSet(std::string_view value) {
    std::string out = escapeKv(value);
    for (char& c : out) {
        if (c == '"') c = kSetQuote;
        if (c == ';') c = kSetSemicolon;
    }
    return out;
}

std::string escapeXmlQuoted(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 16);
    size_t from = 0;
    for (size_t at = value.find('"'); at != std::string_view::npos; at = value.find('"', from)) {
        out += escapeXml(value.substr(from, at - from));
        out.push_back(kXmlQuotedQuote);
        from = at + 1;
    }
    out += escapeXml(value.substr(from));
    return out;
}

std::string escapeFor(OutputFormat format, std::string_view value) {
    switch (format) {
        case OutputFormat::kXml: return escapeXml(value);
        case OutputFormat::kXmlQuoted: return escapeXmlQuoted(value);
        case OutputFormat::kPanasonic: return panasonic::escapeValue(value);
        case OutputFormat::kSet: return escapeSet(value);
        case OutputFormat::kKv: break;
    }
    return escapeKv(value);
}

namespace {

// "SET DISPLAY_NAME": the statement of the line holding `at`, when the line
// starts `SET NAME ` with a name of capitals, digits and '_' (the templates'
// own text); otherwise "line N", so that a template printing a value earlier
// on its line cannot have that value repeated in the refusal.
std::string statementAt(const std::string& text, size_t at) {
    const size_t nl = text.rfind('\n', at);
    const size_t begin = nl == std::string::npos ? 0 : nl + 1;
    const std::string_view line = std::string_view(text).substr(begin, at - begin);
    if (line.rfind("SET ", 0) == 0) {
        size_t end = 4;
        while (end < line.size() && ((line[end] >= 'A' && line[end] <= 'Z') || (line[end] >= '0' && line[end] <= '9') ||
                                     line[end] == '_'))
            ++end;
        if (end > 4 && end < line.size() && line[end] == ' ') return std::string(line.substr(0, end));
    }
    const size_t number = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(begin), '\n'));
    return "line " + std::to_string(number);
}

}  // namespace

Status checkSetTemplate(std::string_view body, const std::string& path) {
    if (body.find(kSetQuote) != std::string_view::npos || body.find(kSetSemicolon) != std::string_view::npos)
        return Error::invalid("template " + path +
                              " holds the byte 0x01 or 0x02, which marks an unwritable value in a settings script");
    return okStatus();
}

Result<std::string> finishSetLines(std::string rendered) {
    if (const size_t at = rendered.find(kSetQuote); at != std::string::npos)
        return Error::invalid("a value of \"" + statementAt(rendered, at) +
                              "\" holds a double quote (\"), which an Avaya settings file cannot write inside a "
                              "quoted value: change that value (a caller ID name, a label, a password)");
    for (size_t at = rendered.find(kSetSemicolon); at != std::string::npos;
         at = rendered.find(kSetSemicolon, at + 1)) {
        const std::string statement = statementAt(rendered, at);
        if (statement == "SET PHONEKEY")
            return Error::invalid("a key's label or value holds a semicolon (;), which separates the fields of an "
                                  "Avaya \"SET PHONEKEY\" line: change that key");
        rendered[at] = ';';
    }
    return rendered;
}

namespace {

// The parameter on the line holding `at`, from the template's own text before
// it: a SYMB_ITEM's ID (`BS_IP_Data1.aucS_SIP_DISPLAYNAME_2`) or the element's
// name (`S_CONFIGFILE_URL`); "line N" when the line does not start so, so that
// a value printed earlier on the line is never repeated in a refusal.
std::string quotedItemAt(const std::string& text, size_t at) {
    const size_t nl = text.rfind('\n', at);
    const size_t begin = nl == std::string::npos ? 0 : nl + 1;
    std::string_view line = std::string_view(text).substr(begin, at - begin);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    auto name_end = [&](size_t from) {
        size_t end = from;
        while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_' ||
                                     line[end] == '.' || line[end] == '[' || line[end] == ']'))
            ++end;
        return end;
    };
    constexpr std::string_view kItem = "<SYMB_ITEM ID=\"";
    if (line.rfind(kItem, 0) == 0) {
        const size_t end = name_end(kItem.size());
        if (end > kItem.size() && end < line.size() && line[end] == '"')
            return std::string(line.substr(kItem.size(), end - kItem.size()));
    } else if (line.rfind('<', 0) == 0) {
        const size_t end = name_end(1);
        if (end > 1 && end < line.size() && line[end] == ' ') return std::string(line.substr(1, end - 1));
    }
    const size_t number = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(begin), '\n'));
    return "line " + std::to_string(number);
}

// The code point of the UTF-8 sequence at `at` and its length; length 0 for
// a malformed sequence.
std::pair<uint32_t, size_t> decodeUtf8(const std::string& s, size_t at) {
    const auto b = static_cast<uint8_t>(s[at]);
    if (b < 0x80) return {b, 1};
    const size_t len = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? (b <= 0xEF ? 3 : 0) : b >= 0xC2 ? 2 : 0;
    if (len == 0 || at + len > s.size()) return {0, 0};
    uint32_t cp = b & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; ++i) {
        const auto c = static_cast<uint8_t>(s[at + i]);
        if ((c & 0xC0) != 0x80) return {0, 0};
        cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return {0, 0};  // overlong
    return {cp, len};
}

}  // namespace

Status checkXmlQuotedTemplate(std::string_view body, const std::string& path) {
    if (body.find(kXmlQuotedQuote) != std::string_view::npos)
        return Error::invalid("template " + path + " holds the byte 0x01, which marks an unwritable value");
    return okStatus();
}

Result<std::string> finishXmlQuoted(const std::string& rendered) {
    if (const size_t at = rendered.find(kXmlQuotedQuote); at != std::string::npos)
        return Error::invalid("the value of " + quotedItemAt(rendered, at) +
                              " holds a double quote (\"), which a Gigaset N510 file cannot write inside a quoted "
                              "value: change that value (a caller ID name, a password)");
    if (auto st = checkXml(rendered); !st) return Error::internal(st.error().message);
    std::string out;
    out.reserve(rendered.size());
    for (size_t at = 0; at < rendered.size();) {
        const auto [cp, len] = decodeUtf8(rendered, at);
        if (len == 0 || cp > 0xFF)
            return Error::invalid("the value of " + quotedItemAt(rendered, at) +
                                  " holds a character ISO-8859-1 does not have, the encoding of a Gigaset N510 "
                                  "file: change that value");
        out.push_back(static_cast<char>(cp));
        at += len;
    }
    return out;
}

}  // namespace prov
