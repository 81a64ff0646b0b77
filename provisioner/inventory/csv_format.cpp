// The inventory CSV format: columns from the field tables, cells, buttons.

#include "provisioner/inventory/csv_format.h"

#include <algorithm>

#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/model/validation.h"

namespace prov::csvfmt {

namespace {

std::vector<Column> build() {
    std::vector<Column> out;
    for (const auto& f : deviceFields()) {
        if (!f.csv.empty()) out.push_back(Column{f.csv, f.alias, &f, nullptr});
    }
    for (const auto& f : extensionFields()) {
        if (!f.csv.empty() && f.secrecy != Secrecy::kSecret) out.push_back(Column{f.csv, f.alias, nullptr, &f});
    }
    out.push_back(Column{kButtons, {}, nullptr, nullptr});
    for (const auto& f : extensionFields()) {
        if (!f.csv.empty() && f.secrecy == Secrecy::kSecret) out.push_back(Column{f.csv, f.alias, nullptr, &f});
    }
    return out;
}

std::optional<bool> parseBool(const std::string& v) {
    const std::string s = text::toLower(text::trim(v));
    if (s.empty() || s == "false" || s == "no" || s == "0" || s == "off" || s == "n") return false;
    if (s == "true" || s == "yes" || s == "1" || s == "on" || s == "y") return true;
    return std::nullopt;
}

// "a, b, c" -> "a, b or c"
std::string orList(std::string_view choices) {
    std::string s(choices);
    const size_t last = s.rfind(", ");
    return last == std::string::npos ? s : s.substr(0, last) + " or " + s.substr(last + 2);
}

template <typename R>
std::string cellText(const Field<R>& f, const R& r) {
    switch (f.kind) {
        case FieldKind::kText: return textOf(f, r);
        case FieldKind::kBool: return boolOf(f, r) ? "true" : "false";
        case FieldKind::kInt:
        case FieldKind::kTime: return intOf(f, r) ? std::to_string(intOf(f, r)) : "";
        case FieldKind::kMac: return macText(textOf(f, r));
        case FieldKind::kEnum: return std::string(enumOf(f, r));
    }
    return "";
}

template <typename R>
std::optional<std::string> readInto(const Field<R>& f, const std::string& cell, R& r) {
    const std::string v = f.has(kCsvTrim) ? text::trim(cell) : cell;
    switch (f.kind) {
        case FieldKind::kText: textOf(f, r) = v; return std::nullopt;
        case FieldKind::kBool: {
            auto b = parseBool(v);
            if (!b) return "must be true or false (yes/no, 1/0)";
            setBool(f, r, *b);
            return std::nullopt;
        }
        case FieldKind::kInt:
        case FieldKind::kTime: {
            const std::string n = text::trim(v);
            if (n.empty()) {
                setInt(f, r, 0);
            } else if (!text::isDigits(n) || n.size() > 9 || (f.limit && std::stoll(n) > f.limit)) {
                return "'" + n.substr(0, 20) + "' is not a number" + (f.limit ? " up to " + std::to_string(f.limit) : "");
            } else {
                setInt(f, r, std::stoll(n));
            }
            return std::nullopt;
        }
        case FieldKind::kMac: {
            const std::string m = text::trim(v);
            auto mac = MacAddress::parse(m);
            if (!m.empty() && !mac) return "'" + m.substr(0, 40) + "' is not a MAC address (12 hex digits, any separator)";
            textOf(f, r) = mac ? mac->canonical() : "";
            return std::nullopt;
        }
        case FieldKind::kEnum: {
            // Any case: the choices are matched as the API spells them. Empty keeps.
            const std::string upper = text::toUpper(text::trim(v));
            if (upper.empty()) return std::nullopt;
            std::string_view choices = enumChoices(f);
            for (size_t at = 0; at <= choices.size();) {
                size_t end = choices.find(", ", at);
                if (end == std::string_view::npos) end = choices.size();
                const std::string_view choice = choices.substr(at, end - at);
                if (text::toUpper(choice) == upper && setEnum(f, r, choice)) return std::nullopt;
                at = end + 2;
            }
            return "must be " + orList(choices);
        }
    }
    return std::nullopt;
}

}  // namespace

const std::vector<Column>& columns() {
    static const std::vector<Column> kColumns = build();
    return kColumns;
}

std::optional<size_t> columnNamed(std::string_view header) {
    const std::string name = text::toLower(text::trim(header));
    const auto& cols = columns();
    for (size_t i = 0; i < cols.size(); ++i) {
        if (name == cols[i].name || (!cols[i].alias.empty() && name == cols[i].alias)) return i;
    }
    return std::nullopt;
}

size_t columnIndex(std::string_view name) { return *columnNamed(name); }

std::string columnOfField(const std::string& field) {
    if (field.rfind(kButtons, 0) == 0) return std::string(kButtons);
    if (auto c = columnNamed(field)) return std::string(columns()[*c].name);
    return field;
}

std::string knownHeaders() {
    std::string names;
    std::string aliases;
    for (const Column& c : columns()) {
        names += std::string(names.empty() ? "" : ", ") + std::string(c.name);
        if (!c.alias.empty()) aliases += ", " + std::string(c.alias);
    }
    return names + aliases;
}

csv::CellKind cellKind(const Column& column) {
    const bool number = column.extension && column.extension->rule == Rule::kDialable;
    return number ? csv::CellKind::kPhoneNumber : csv::CellKind::kText;
}

std::string cellOf(const Field<Device>& f, const Device& d) { return cellText(f, d); }
std::string cellOf(const Field<Extension>& f, const Extension& e) { return cellText(f, e); }

std::optional<std::string> readCell(const Field<Device>& f, const std::string& cell, Device& d) {
    return readInto(f, cell, d);
}
std::optional<std::string> readCell(const Field<Extension>& f, const std::string& cell, Extension& e) {
    return readInto(f, cell, e);
}

std::string macText(const std::string& mac) {
    auto m = MacAddress::parse(mac);
    return m ? m->colons() : mac;
}

std::string formatButtons(const std::vector<Button>& buttons) {
    auto esc = [](const std::string& s) {
        std::string out;
        for (char c : s) {
            if (c == ':' || c == '|' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        return out;
    };
    std::string out;
    for (const Button& b : buttons) {
        if (!out.empty()) out.push_back('|');
        std::vector<std::string> parts = {std::to_string(b.index), b.type, esc(b.value), esc(b.label),
                                          b.line == 1 ? "" : std::to_string(b.line)};
        while (parts.size() > 2 && parts.back().empty()) parts.pop_back();
        for (size_t i = 0; i < parts.size(); ++i) {
            if (i) out.push_back(':');
            out += parts[i];
        }
    }
    return out;
}

std::optional<std::vector<Button>> parseButtons(const std::string& cell, std::string& why) {
    std::vector<Button> out;
    if (text::trim(cell).empty()) return out;
    std::vector<std::vector<std::string>> items(1, std::vector<std::string>(1));
    for (size_t i = 0; i < cell.size(); ++i) {
        const char c = cell[i];
        if (c == '\\' && i + 1 < cell.size()) {
            items.back().back().push_back(cell[++i]);
        } else if (c == ':') {
            items.back().emplace_back();
        } else if (c == '|') {
            items.emplace_back(1);
        } else {
            items.back().back().push_back(c);
        }
    }
    for (size_t n = 0; n < items.size(); ++n) {
        const auto& p = items[n];
        const std::string where = "button " + std::to_string(n + 1) + " ";
        if (p.size() < 2 || p.size() > 5) {
            why = where + "must be index:type[:value[:label[:line]]] (entries separated by '|')";
            return std::nullopt;
        }
        Button b;
        const std::string idx = text::trim(p[0]);
        if (!text::isDigits(idx) || idx.size() > 4) {
            why = where + "has index '" + idx + "': must be a number";
            return std::nullopt;
        }
        b.index = std::stoi(idx);
        b.type = text::trim(p[1]);
        if (p.size() > 2) b.value = text::trim(p[2]);
        if (p.size() > 3) b.label = p[3];
        if (p.size() > 4 && !text::trim(p[4]).empty()) {
            const std::string line = text::trim(p[4]);
            if (!text::isDigits(line) || line.size() > 4) {
                why = where + "has line '" + line + "': must be a number";
                return std::nullopt;
            }
            b.line = std::stoi(line);
        }
        out.push_back(std::move(b));
    }
    FieldErrors errors;
    validateButtons(out, errors);
    if (!errors.empty()) {
        // "buttons[2].type" -> "button 3 type: ..."
        const auto& [field, reason] = *errors.begin();
        std::string f = field;
        if (f.rfind("buttons[", 0) == 0) {
            const size_t close = f.find(']');
            const int i = std::stoi(f.substr(8, close - 8));
            f = "button " + std::to_string(i + 1) + " " + f.substr(close + 2);
        }
        why = f + " " + reason;
        return std::nullopt;
    }
    std::sort(out.begin(), out.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
    return out;
}

bool sameButtons(const std::vector<Button>& a, const std::vector<Button>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].index != b[i].index || a[i].type != b[i].type || a[i].value != b[i].value ||
            a[i].label != b[i].label || a[i].line != b[i].line)
            return false;
    }
    return true;
}

}  // namespace prov::csvfmt
