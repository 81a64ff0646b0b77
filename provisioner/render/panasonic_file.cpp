#include "provisioner/render/panasonic_file.h"

#include <cctype>
#include <cstdint>
#include <vector>

namespace prov::panasonic {

namespace {

// The parameter name of a NAME="value" line, "" when the line is not one.
// Names are upper-case letters, digits and '_' in every guide and reference.
std::string_view parameterName(std::string_view line) {
    const size_t eq = line.find('=');
    if (eq == 0 || eq == std::string_view::npos) return {};
    for (size_t i = 0; i < eq; ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (!std::isupper(c) && !std::isdigit(c) && c != '_') return {};
    }
    const std::string_view rest = line.substr(eq + 1);
    // The value runs from the opening to the closing quote, which ends the
    // line: a '"' inside it would end it early (escapeValue never writes one).
    if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') return {};
    if (rest.substr(1, rest.size() - 2).find('"') != std::string_view::npos) return {};
    return line.substr(0, eq);
}

std::vector<std::string_view> splitLines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

Status checkParameter(std::string_view line, std::string_view name, const std::string& where) {
    const std::string n(name);
    const std::string_view value = line.substr(name.size() + 2, line.size() - name.size() - 3);
    if (value.find(kQuoteMark) != std::string_view::npos)
        return Error::invalid(
            where + ": " + n + " cannot be written: its value holds a '\"', and Panasonic " +
            "values are enclosed in double quotes with no way to write one inside");
    if (name.size() > kMaxName)
        return Error::invalid(where + ": " + n + " is a name of " + std::to_string(name.size()) +
                              " characters; Panasonic reads at most " + std::to_string(kMaxName));
    if (value.size() > kMaxValue)
        return Error::invalid(where + ": " + n + " cannot be written: its value is " +
                              std::to_string(value.size()) + " bytes; Panasonic reads at most " +
                              std::to_string(kMaxValue));
    if (line.size() + 2 > kMaxLine)
        return Error::invalid(where + ": " + n + " cannot be written: its line is " +
                              std::to_string(line.size() + 2) +
                              " bytes; a Panasonic phone skips a line over " +
                              std::to_string(kMaxLine));
    return okStatus();
}

}  // namespace

std::string escapeValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<uint8_t>(c);
        if (c == '"') {
            out.push_back(kQuoteMark);
        } else {
            out.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
        }
    }
    return out;
}

Status checkTemplate(std::string_view body, const std::string& path) {
    if (body.substr(0, kHeader.size()) != kHeader)
        return Error::invalid("template " + path + " must start with the line \"" +
                              std::string(kHeader) +
                              "\" (Panasonic phones reject a file without it)");
    if (body.find(kQuoteMark) != std::string_view::npos)
        return Error::invalid("template " + path +
                              " holds the byte 0x01, which marks an unwritable value");
    return okStatus();
}

Result<std::string> finish(std::string_view text, const std::string& where) {
    if (text.substr(0, kHeader.size()) != kHeader)
        return Error::internal(where + ": does not start with \"" + std::string(kHeader) + "\"");
    std::vector<std::string_view> lines = splitLines(text);
    // Trailing empty lines are written again as exactly one.
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    std::string out;
    out.reserve(text.size() + lines.size() + 2);
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        if (!line.empty() && line.front() != '#') {
            const std::string_view name = parameterName(line);
            if (name.empty()) {
                if (line.find(kQuoteMark) != std::string_view::npos)
                    return Error::invalid(where + ": line " + std::to_string(i + 1) +
                                          " cannot be written: a value holds a '\"'");
                // The line itself is not quoted: a template fault (an override
                // writing SIP_PASS_1={{password}} unquoted) would put a secret
                // in the log and the preview.
                return Error::internal(where + ": line " + std::to_string(i + 1) +
                                       " is neither a comment nor NAME=\"value\" (the template's fault)");
            }
            TRY(checkParameter(line, name, where));
        } else if (line.find(kQuoteMark) != std::string_view::npos) {
            return Error::invalid(where + ": line " + std::to_string(i + 1) +
                                  " cannot be written: a value printed in it holds a '\"'");
        } else if (line.size() + 2 > kMaxLine) {
            return Error::invalid(where + ": line " + std::to_string(i + 1) + " is " +
                                  std::to_string(line.size() + 2) +
                                  " bytes; Panasonic reads at most " + std::to_string(kMaxLine));
        }
        out.append(line);
        out.append("\r\n");
    }
    out.append("\r\n");
    if (out.size() > kMaxFile)
        return Error::invalid(where + ": is " + std::to_string(out.size()) +
                              " bytes; a Panasonic phone reads at most " +
                              std::to_string(kMaxFile));
    return out;
}

}  // namespace prov::panasonic
