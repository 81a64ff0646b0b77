#include "provisioner/store/store_copy.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "provisioner/store/pg_store.h"
#include "provisioner/store/sqlite_store.h"

namespace prov {

namespace {

// Every table of the schema, parents before children (foreign keys hold at
// each insert). schema_migrations is not copied: the target records its own.
// licence_usage and config_generation are moved by triggers while rows go
// in, and set to the source's values after.
constexpr const char* kTables[] = {
    "devices",          "extensions",         "buttons",          "settings",        "events",
    "users",            "api_tokens",         "audit",            "served_configs",  "device_credentials",
    "staging_windows",  "staging_window_uses", "server_keys",     "pending_wipes",   "rollouts",
    "firmware_images",  "firmware_targets",   "rollout_members",  "resync_pushes",   "sessions",
    "sign_in_throttle", "outbox",             "invitations",      "sweep_spend",     "licence_usage",
    "config_generation",
};

bool isCounter(const std::string& table) { return table == "licence_usage" || table == "config_generation"; }

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

void fnv(uint64_t& h, std::string_view bytes) {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= kFnvPrime;
    }
}

// One row's hash: each value as "V<length>:<bytes>", NULL as "N".
template <typename Stmt>
uint64_t rowHash(const Stmt& s, size_t columns) {
    uint64_t h = kFnvOffset;
    for (size_t c = 0; c < columns; ++c) {
        const int col = static_cast<int>(c);
        if (s.isNull(col)) {
            fnv(h, "N");
            continue;
        }
        const std::string v = s.text(col);
        fnv(h, "V" + std::to_string(v.size()) + ":");
        fnv(h, v);
    }
    return h;
}

std::string quotedList(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "\"" : ", \"") + c + "\"";
    return out;
}

Result<std::vector<std::string>> columnsOf(sqlite::Connection& conn, const std::string& table) {
    sqlite::Stmt s(conn, "PRAGMA table_info(\"" + table + "\")");
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(1));
    if (s.failed() || out.empty()) return Error::internal("migrate-store: cannot read the columns of " + table);
    return out;
}

Status checkSource(sqlite::Connection& conn) {
    sqlite::Stmt s(conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                         " AND name <> 'schema_migrations' ORDER BY name");
    while (s.step()) {
        const std::string name = s.text(0);
        if (std::none_of(std::begin(kTables), std::end(kTables), [&](const char* t) { return name == t; }))
            return Error::invalid("migrate-store: the source has a table this copy does not know: " + name);
    }
    return okStatus();
}

Result<int64_t> pgCount(pg::Connection& conn, const std::string& table) {
    pg::Stmt s(conn, "SELECT COUNT(*) FROM \"" + table + "\"");
    if (!s.step()) return Error::internal("migrate-store: " + conn.lastError());
    return s.integer(0);
}

// Inserts the rows of `table` (the source in a read transaction, the target
// in a write one).
Status copyTable(sqlite::Connection& from, pg::Connection& to, const std::string& table,
                 const std::vector<std::string>& columns) {
    std::string params;
    for (size_t i = 0; i < columns.size(); ++i) params += i ? ",?" : "?";
    const std::string list = quotedList(columns);
    if (isCounter(table)) {
        // One row, made by the target's own migration: its value is the source's.
        sqlite::Stmt s(from, "SELECT id, " + std::string(table == "licence_usage" ? "used" : "value") +
                                 " FROM " + table);
        if (!s.step()) return Error::internal("migrate-store: cannot read " + table);
        pg::Stmt u(to, "UPDATE " + table + " SET " + (table == "licence_usage" ? "used" : "value") +
                           " = ?2 WHERE id = ?1");
        u.bind(1, s.integer(0)).bind(2, s.integer(1));
        u.step();
        if (u.failed()) return Error::internal("migrate-store: " + table + ": " + to.lastError());
        return okStatus();
    }
    sqlite::Stmt s(from, "SELECT " + list + " FROM \"" + table + "\"");
    const std::string insert = "INSERT INTO \"" + table + "\" (" + list + ") VALUES (" + params + ")";
    while (s.step()) {
        pg::Stmt ins(to, insert);
        for (size_t c = 0; c < columns.size(); ++c) {
            const int col = static_cast<int>(c);
            if (s.isNull(col)) {
                ins.bindNull(col + 1);
            } else {
                ins.bind(col + 1, std::string_view(s.text(col)));
            }
        }
        ins.step();
        if (ins.failed()) return Error::internal("migrate-store: " + table + ": " + to.lastError());
    }
    if (s.failed()) return Error::internal("migrate-store: cannot read " + table + ": " + from.lastError());
    // Identity columns go on after the highest id copied.
    if (std::find(columns.begin(), columns.end(), "id") != columns.end()) {
        pg::Stmt seq(to, "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), GREATEST(MAX(id), 1),"
                         " MAX(id) IS NOT NULL) FROM \"" + table + "\" WHERE pg_get_serial_sequence('" +
                         table + "', 'id') IS NOT NULL");
        seq.step();
        if (seq.failed()) return Error::internal("migrate-store: " + table + ": " + to.lastError());
    }
    return okStatus();
}

template <typename Conn, typename Stmt>
Status sumTable(Conn& conn, const std::string& table, const std::vector<std::string>& columns, int64_t& rows,
                uint64_t& sum) {
    Stmt s(conn, "SELECT " + quotedList(columns) + " FROM \"" + table + "\"");
    rows = 0;
    sum = 0;
    while (s.step()) {
        ++rows;
        sum += rowHash(s, columns.size());
    }
    if (s.failed()) return Error::internal("migrate-store: cannot read " + table + ": " + conn.lastError());
    return okStatus();
}

}  // namespace

bool StoreCopyReport::matches() const {
    return std::all_of(tables.begin(), tables.end(), [](const TableCopy& t) { return t.matches(); });
}

Result<StoreCopyReport> copySqliteToPostgres(const std::string& sqlite_path, const std::string& url,
                                             const Clock& clock) {
    struct stat st {};
    if (sqlite_path == ":memory:" || ::stat(sqlite_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error::invalid("migrate-store: no SQLite store at " + sqlite_path);
    {
        auto source = TRY(SqliteStore::open(sqlite_path, clock));
        if (TRY(source->schemaVersion()) != SqliteStore::latestVersion())
            return Error::invalid("migrate-store: the store at " + sqlite_path +
                                  " is not at this build's schema version; run 'provisioner migrate' on it first");
    }
    auto from = TRY(sqlite::Connection::open(sqlite_path));
    TRY(checkSource(*from));
    auto target = TRY(PgStore::open(url, clock));
    TRY(target->migrate());
    auto to = TRY(target->connect());

    StoreCopyReport report;
    // One snapshot of the source, one transaction on the target under the
    // writers' lock: a node started on the target meanwhile sees all or none.
    TRY(from->exec("BEGIN"));
    if (auto st = to->exec(std::string("BEGIN; SELECT pg_advisory_xact_lock(") + std::to_string(kPgWriteLock) + ")");
        !st)
        return st.error();
    auto copyAll = [&]() -> Status {
        for (const char* name : kTables) {
            const std::string table = name;
            if (!isCounter(table) && TRY(pgCount(*to, table)) != 0)
                return Error{Code::kAlreadyExists, "not_empty",
                             "migrate-store: the target is not empty (table " + table +
                                 " has rows); copy into a new database",
                             {}, {}};
        }
        for (const char* name : kTables) {
            const std::string table = name;
            TRY(copyTable(*from, *to, table, TRY(columnsOf(*from, table))));
        }
        return to->exec("COMMIT");
    };
    const Status copied = copyAll();
    (void)from->exec("ROLLBACK");
    if (!copied) {
        (void)to->exec("ROLLBACK");
        return copied.error();
    }
    for (const char* name : kTables) {
        TableCopy t;
        t.table = name;
        const auto columns = TRY(columnsOf(*from, t.table));
        TRY((sumTable<sqlite::Connection, sqlite::Stmt>(*from, t.table, columns, t.source_rows, t.source_checksum)));
        TRY((sumTable<pg::Connection, pg::Stmt>(*to, t.table, columns, t.target_rows, t.target_checksum)));
        report.tables.push_back(t);
    }
    return report;
}

}  // namespace prov
