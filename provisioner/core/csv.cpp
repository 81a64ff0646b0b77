#include "provisioner/core/csv.h"

#include <algorithm>

#include "provisioner/core/text.h"

namespace prov::csv {

namespace {

Error refuse(std::string message) {
    return Error{Code::kInvalidArgument, "invalid_csv", std::move(message), {}, {}};
}

// The delimiter of the header line: whichever of ',' ';' '\t' occurs most
// outside quotes (',' when none does: a one-column file).
char detectDelimiter(std::string_view s) {
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (char c : s) {
        if (c == '"') quoted = !quoted;
        if (quoted) continue;
        if (c == '\n' || c == '\r') break;
        comma += c == ',';
        semi += c == ';';
        tab += c == '\t';
    }
    if (semi > comma && semi >= tab) return ';';
    if (tab > comma && tab > semi) return '\t';
    return ',';
}

// What a spreadsheet takes for the start of a formula (OWASP's list).
bool isFormulaStart(char c) { return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'; }

// True when `s` is one or more (`min_quotes` = 1) or any number (0) of '\''
// followed by a formula character.
bool quotesThenFormula(std::string_view s, size_t min_quotes) {
    const size_t quotes = std::min(s.find_first_not_of('\''), s.size());
    return quotes >= min_quotes && quotes < s.size() && isFormulaStart(s[quotes]);
}

bool isPlusDigits(std::string_view s) {
    if (s.size() < 2 || s[0] != '+') return false;
    return s.find_first_not_of("0123456789", 1) == std::string_view::npos;
}

size_t lineOfOffset(std::string_view s, size_t offset) {
    size_t line = 1;
    for (size_t i = 0; i < offset && i < s.size(); ++i) line += s[i] == '\n';
    return line;
}

}  // namespace

Result<Table> parse(std::string_view s) {
    if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
        static_cast<unsigned char>(s[2]) == 0xBF)
        s.remove_prefix(3);
    if (const size_t nul = s.find('\0'); nul != std::string_view::npos)
        return refuse("not a CSV text file: binary data (a NUL byte) on line " +
                      std::to_string(lineOfOffset(s, nul)));
    if (!text::isValidUtf8(s)) {
        // Find the first bad line to name it.
        size_t start = 0, line = 1;
        for (;;) {
            const size_t end = s.find('\n', start);
            const std::string_view l = s.substr(start, end == std::string_view::npos ? s.npos : end - start);
            if (!text::isValidUtf8(l)) break;
            if (end == std::string_view::npos) break;
            start = end + 1;
            ++line;
        }
        return refuse("not a UTF-8 CSV file: line " + std::to_string(line) +
                      " has bytes that are not UTF-8 (save the sheet as \"CSV UTF-8\")");
    }
    Table table;
    table.delimiter = detectDelimiter(s);
    const char delim = table.delimiter;
    size_t line = 1;
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        Record rec;
        rec.line = line;
        std::string field;
        bool any = false;  // the record has more than an empty line
        for (;;) {
            if (i < n && s[i] == '"') {
                const size_t open_line = line;
                ++i;
                for (;;) {
                    if (i >= n)
                        return refuse("line " + std::to_string(open_line) + ": a quoted field is never closed");
                    const char c = s[i++];
                    if (c == '"') {
                        if (i < n && s[i] == '"') {
                            field.push_back('"');
                            ++i;
                            continue;
                        }
                        break;
                    }
                    if (c == '\n') ++line;
                    field.push_back(c);
                }
                any = true;
                if (i < n && s[i] != delim && s[i] != '\n' && s[i] != '\r')
                    return refuse("line " + std::to_string(line) + ", field " +
                                  std::to_string(rec.fields.size() + 1) +
                                  ": text after a closing quote (a quote inside a field must be doubled)");
            } else {
                while (i < n && s[i] != delim && s[i] != '\n' && s[i] != '\r') {
                    if (s[i] == '"')
                        return refuse("line " + std::to_string(line) + ", field " +
                                      std::to_string(rec.fields.size() + 1) +
                                      ": a quote inside an unquoted field (quote the field and double the quote)");
                    field.push_back(s[i++]);
                }
                any = any || !field.empty();
            }
            rec.fields.push_back(std::move(field));
            field.clear();
            if (i < n && s[i] == delim) {
                any = true;
                ++i;
                continue;
            }
            // End of record: CRLF, LF, a lone CR, or the end of the file.
            if (i < n && s[i] == '\r') ++i;
            if (i < n && s[i] == '\n') ++i;
            ++line;
            break;
        }
        if (any) table.records.push_back(std::move(rec));
    }
    return table;
}

void appendRecord(std::string& out, const std::vector<std::string>& fields, char delimiter) {
    for (size_t f = 0; f < fields.size(); ++f) {
        if (f) out.push_back(delimiter);
        const std::string& v = fields[f];
        const bool quote = v.find_first_of(std::string{delimiter, '"', '\r', '\n', '\t'}) != std::string::npos ||
                           (!v.empty() && (v.front() == ' ' || v.back() == ' '));
        if (!quote) {
            out += v;
            continue;
        }
        out.push_back('"');
        for (char c : v) {
            if (c == '"') out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out += "\r\n";
}

std::string escapeFormula(std::string_view value, CellKind kind) {
    if (kind == CellKind::kPhoneNumber && isPlusDigits(value)) return std::string(value);
    if (!quotesThenFormula(value, 0)) return std::string(value);
    std::string out;
    out.reserve(value.size() + 1);
    out.push_back('\'');
    out += value;
    return out;
}

std::string unescapeFormula(std::string_view cell) {
    if (quotesThenFormula(cell, 1)) cell.remove_prefix(1);
    return std::string(cell);
}

}  // namespace prov::csv
