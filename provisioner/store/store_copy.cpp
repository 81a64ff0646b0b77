#include "provisioner/store/store_copy.h"

#include <sys/stat.h>

#include <algorithm>
#include <iterator>
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
    "sign_in_throttle", "outbox",             "invitations",      "event_batches",   "sweep_spend",
    "licence_usage",
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

// A double-quoted SQL identifier, a quote inside it doubled.
std::string quoted(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string quotedList(const std::vector<std::string>& columns) {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + quoted(c);
    return out;
}

// The columns of `table` in the target, made by this build's migrations:
// our schema, not the source's say.
Result<std::vector<std::string>> targetColumns(pg::Connection& conn, const std::string& table) {
    pg::Stmt s(conn, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                     " AND table_name = ? ORDER BY ordinal_position");
    s.bind(1, table);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    if (s.failed() || out.empty()) return Error::internal("migrate-store: cannot read the columns of " + table);
    return out;
}

// The columns the copy reads and writes: the target's, when the source's
// table has exactly those. A source column our schema lacks (a crafted or
// foreign file) is refused by name, before its name is in any statement.
Result<std::vector<std::string>> columnsOf(sqlite::Connection& from, pg::Connection& to, const std::string& table) {
    std::vector<std::string> ours = TRY(targetColumns(to, table));
    sqlite::Stmt s(from, "PRAGMA table_info(" + quoted(table) + ")");
    std::vector<std::string> theirs;
    while (s.step()) theirs.push_back(s.text(1));
    if (s.failed() || theirs.empty()) return Error::internal("migrate-store: cannot read the columns of " + table);
    for (const std::string& c : theirs) {
        if (std::find(ours.begin(), ours.end(), c) == ours.end())
            return Error::invalid("migrate-store: the source's table " + table +
                                  " has a column this build's schema does not: " + quoted(c));
    }
    for (const std::string& c : ours) {
        if (std::find(theirs.begin(), theirs.end(), c) == theirs.end())
            return Error::invalid("migrate-store: the source's table " + table + " lacks the column " + quoted(c));
    }
    return ours;
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
    pg::Stmt s(conn, "SELECT COUNT(*) FROM " + quoted(table));
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
    sqlite::Stmt s(from, "SELECT " + list + " FROM " + quoted(table));
    const std::string insert = "INSERT INTO " + quoted(table) + " (" + list + ") VALUES (" + params + ")";
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
    // Identity columns go on after the highest id copied (event_batches'
    // ids are text, not an identity).
    if (table != "event_batches" && std::find(columns.begin(), columns.end(), "id") != columns.end()) {
        pg::Stmt seq(to, "SELECT setval(pg_get_serial_sequence(?1, 'id'), GREATEST(MAX(id), 1), MAX(id) IS NOT NULL)"
                         " FROM " + quoted(table) + " WHERE pg_get_serial_sequence(?1, 'id') IS NOT NULL");
        seq.bind(1, table);
        seq.step();
        if (seq.failed()) return Error::internal("migrate-store: " + table + ": " + to.lastError());
    }
    return okStatus();
}

template <typename Conn, typename Stmt>
Status sumTable(Conn& conn, const std::string& table, const std::vector<std::string>& columns, int64_t& rows,
                uint64_t& sum) {
    Stmt s(conn, "SELECT " + quotedList(columns) + " FROM " + quoted(table));
    rows = 0;
    sum = 0;
    while (s.step()) {
        ++rows;
        sum += rowHash(s, columns.size());
    }
    if (s.failed()) return Error::internal("migrate-store: cannot read " + table + ": " + conn.lastError());
    return okStatus();
}

// Copies every table, then sums both sides: the source in the read
// transaction the copy read it in, the target in the transaction that wrote
// it, before its COMMIT, so the report is of exactly what a COMMIT would
// store. Every table's columns are checked before any row is written.
Result<StoreCopyReport> copyAndCompare(sqlite::Connection& from, pg::Connection& to) {
    TRY(checkSource(from));
    for (const char* table : kTables) {
        if (!isCounter(table) && TRY(pgCount(to, table)) != 0)
            return Error{Code::kAlreadyExists, "not_empty",
                         "migrate-store: the target is not empty (table " + std::string(table) +
                             " has rows); copy into a new database",
                         {}, {}};
    }
    std::vector<std::vector<std::string>> columns;
    for (const char* table : kTables) columns.push_back(TRY(columnsOf(from, to, table)));
    for (size_t i = 0; i < std::size(kTables); ++i) TRY(copyTable(from, to, kTables[i], columns[i]));
    StoreCopyReport report;
    for (size_t i = 0; i < std::size(kTables); ++i) {
        TableCopy t;
        t.table = kTables[i];
        TRY((sumTable<sqlite::Connection, sqlite::Stmt>(from, t.table, columns[i], t.source_rows,
                                                        t.source_checksum)));
        TRY((sumTable<pg::Connection, pg::Stmt>(to, t.table, columns[i], t.target_rows, t.target_checksum)));
        report.tables.push_back(t);
    }
    return report;
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
    auto target = TRY(PgStore::open(url, clock));
    TRY(target->migrate());
    auto to = TRY(target->connect());

    // One snapshot of the source (SQLite's read transaction, from its first
    // read to the ROLLBACK); one transaction on the target under the
    // writers' lock: a node started on the target meanwhile sees all or none.
    TRY(from->exec("BEGIN"));
    if (auto began = to->exec(std::string("BEGIN; SELECT pg_advisory_xact_lock(") + std::to_string(kPgWriteLock) + ")");
        !began) {
        (void)to->exec("ROLLBACK");
        (void)from->exec("ROLLBACK");
        return began.error();
    }
    auto report = copyAndCompare(*from, *to);
    (void)from->exec("ROLLBACK");
    if (!report || !report.value().matches()) {
        (void)to->exec("ROLLBACK");
        return report;
    }
    TRY(to->exec("COMMIT"));
    report.value().committed = true;
    return report;
}

}  // namespace prov
