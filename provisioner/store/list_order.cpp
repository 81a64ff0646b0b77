#include "provisioner/store/list_order.h"

#include <cctype>
#include <utility>
#include <vector>

namespace prov::sqlite {

namespace {

using Column = std::pair<std::string, std::string>;  // API name, SQL expression

// Text compares without case, as a person reads a list.
const std::vector<Column>& extensionColumns() {
    static const std::vector<Column> kColumns = {
        {"extension", ""},  // numeric-looking order, see extensionOrderBy
        {"callerid_name", "e.callerid_name COLLATE NOCASE"},
        {"user", "e.\"user\" COLLATE NOCASE"},
        {"device_type", "e.device_type"},
        {"did", "e.did"},
        {"external_callerid", "e.external_callerid"},
        {"voicemail_email", "e.voicemail_email COLLATE NOCASE"},
        {"class_of_service", "e.class_of_service COLLATE NOCASE"},
        {"phone_group", "e.phone_group COLLATE NOCASE"},
        {"mac", "e.mac"},
        {"phone_make", "d.make COLLATE NOCASE"},
        {"phone_model", "d.model COLLATE NOCASE"},
        {"status", "e.status"},
        {"created_at", "e.created_at"},
        {"updated_at", "e.updated_at"},
    };
    return kColumns;
}

const std::vector<Column>& deviceColumns() {
    static const std::vector<Column> kColumns = {
        {"mac", "mac"},
        {"make", "make COLLATE NOCASE"},
        {"model", "model COLLATE NOCASE"},
        {"serial", "serial COLLATE NOCASE"},
        {"label", "label COLLATE NOCASE"},
        {"site", "label COLLATE NOCASE"},
        {"state", "state"},
        {"first_seen_at", "first_seen_at"},
        {"last_seen_at", "last_seen_at"},
        {"last_seen_ip", "last_seen_ip"},
        {"firmware", "last_firmware"},
        {"created_at", "created_at"},
        {"updated_at", "updated_at"},
    };
    return kColumns;
}

std::vector<std::string> namesOf(const std::vector<Column>& columns) {
    std::vector<std::string> out;
    for (const auto& [name, sql] : columns) out.push_back(name);
    return out;
}

// The column's expression in `dialect`, or nullopt for an unknown name.
std::optional<std::string> findColumn(const std::vector<Column>& columns, const std::string& name, Dialect dialect) {
    for (const auto& [n, sql] : columns) {
        if (n != name) continue;
        if (dialect == Dialect::kSqlite) return sql;
        constexpr std::string_view kNocase = " COLLATE NOCASE";
        if (sql.size() > kNocase.size() && sql.compare(sql.size() - kNocase.size(), kNocase.size(), kNocase) == 0)
            return "lower(" + sql.substr(0, sql.size() - kNocase.size()) + ") COLLATE \"C\"";
        return sql;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> extensionOrderBy(const ListOrder& o, Dialect dialect) {
    const char* dir = o.order == SortOrder::kDesc ? " DESC" : "";
    const char* bytes = dialect == Dialect::kPostgres ? " COLLATE \"C\"" : "";
    // Extensions read as numbers: 99 before 100.
    const std::string natural = std::string("length(e.extension)") + dir + ", e.extension" + bytes + dir;
    if (o.sort.empty() || o.sort == "extension") return " ORDER BY " + natural;
    const std::optional<std::string> sql = findColumn(extensionColumns(), o.sort, dialect);
    if (!sql) return std::nullopt;
    return " ORDER BY " + *sql + dir + ", " + natural;
}

std::optional<std::string> deviceOrderBy(const ListOrder& o, Dialect dialect) {
    const char* dir = o.order == SortOrder::kDesc ? " DESC" : "";
    if (o.sort.empty() || o.sort == "mac") return std::string(" ORDER BY mac") + dir;
    const std::optional<std::string> sql = findColumn(deviceColumns(), o.sort, dialect);
    if (!sql) return std::nullopt;
    return " ORDER BY " + *sql + dir + ", mac" + dir;
}

std::string containsPattern(std::string_view q) {
    std::string pattern = "%";
    for (char c : q) {
        if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
        pattern.push_back(c);
    }
    pattern.push_back('%');
    return pattern;
}

std::string macFragment(std::string_view q) {
    std::string out;
    for (char c : q) {
        if (c == ':' || c == '-' || c == '.') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out.size() > 12 ? "" : out;
}

}  // namespace prov::sqlite

namespace prov {

const std::vector<std::string>& extensionSortKeys() {
    static const std::vector<std::string> kKeys = sqlite::namesOf(sqlite::extensionColumns());
    return kKeys;
}

const std::vector<std::string>& deviceSortKeys() {
    static const std::vector<std::string> kKeys = sqlite::namesOf(sqlite::deviceColumns());
    return kKeys;
}

}  // namespace prov
