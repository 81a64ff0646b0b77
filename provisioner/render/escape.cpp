#include "provisioner/render/escape.h"

#include <algorithm>
#include <cstdint>

#include "provisioner/render/panasonic_file.h"

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

std::string escapeFor(OutputFormat format, std::string_view value) {
    switch (format) {
        case OutputFormat::kXml: return escapeXml(value);
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

}  // namespace prov
