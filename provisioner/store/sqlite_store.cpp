#include "provisioner/store/sqlite_store.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cerrno>

#include <sys/stat.h>

#include "provisioner/core/server_metrics.h"
#include "provisioner/store/migrations.h"
#include "provisioner/store/sqlite_tx.h"

namespace prov {

// A pooled connection, returned to the pool when the lease ends.
class SqliteStore::Lease {
public:
    Lease(SqliteStore* store, std::unique_ptr<sqlite::Connection> conn)
        : store_(store), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    ~Lease() {
        if (conn_) store_->release(std::move(conn_));
    }
    sqlite::Connection& operator*() { return *conn_; }
    sqlite::Connection* operator->() { return conn_.get(); }

private:
    SqliteStore* store_;
    std::unique_ptr<sqlite::Connection> conn_;
};

SqliteStore::SqliteStore(std::string path, const Clock& clock, size_t max_connections)
    : path_(std::move(path)), clock_(clock), max_connections_(max_connections) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, const Clock& clock) {
    // An in-memory database exists once per connection, so it gets exactly one.
    const size_t max = path == ":memory:" ? 1 : 16;
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, clock, max));
    const int version = TRY(store->schemaVersion());
    if (version > latestVersion()) {
        return Error{Code::kUnavailable, "schema_too_new",
                     "the store at " + path + " has schema version " +
                         std::to_string(version) + " but this provisioner knows up to " +
                         std::to_string(latestVersion()) + "; upgrade the provisioner",
                     {}, {}};
    }
    TRY(store->checkMigrationNames());
    if (path != ":memory:") {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) store->file_ = FileId{st.st_dev, st.st_ino};
    }
    return store;
}

Status SqliteStore::probe() {
    if (file_) {
        struct stat st {};
        if (::stat(path_.c_str(), &st) != 0)
            return Error{Code::kUnavailable, "store_missing",
                         "the store file " + path_ + " is gone (" + std::strerror(errno) +
                             "): what is written now is lost when the server stops",
                         {}, {}};
        if (st.st_dev != file_->dev || st.st_ino != file_->ino)
            return Error{Code::kUnavailable, "store_replaced",
                         "the store file " + path_ +
                             " was replaced while the server runs: it still writes to the one it opened",
                         {}, {}};
    }
    auto lease = TRY(acquire());
    sqlite::Stmt q(*lease, "SELECT COUNT(*) FROM schema_migrations");
    if (!q.step()) {
        // Busy past its timeout (another process holds a lock) passes, as
        // a fetch's busy store does: docs/postgresql.md, "When the
        // database does not answer".
        const int rc = sqlite3_errcode((*lease).handle());
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            return Error{Code::kUnavailable, "store_busy", "the store is busy: " + (*lease).lastError(), {}, {}};
        return Error{Code::kUnavailable, "store_unreadable", "the store does not answer a read: " + (*lease).lastError(),
                     {}, {}};
    }
    return okStatus();
}

// Each migration the store recorded must be this build's migration of that
// number: a store migrated by another build (a branch that numbered its own
// migration 12) has a schema this build does not know, whatever the number.
Status SqliteStore::checkMigrationNames() {
    auto lease = TRY(acquire());
    auto& conn = *lease;
    sqlite::Stmt q(conn, "SELECT version, name FROM schema_migrations ORDER BY version");
    while (q.step()) {
        const int version = static_cast<int>(q.integer(0));
        const std::string name = q.text(1);
        const sqlite::Migration* ours = nullptr;
        for (const auto& m : sqlite::migrations()) {
            if (m.version == version) ours = &m;
        }
        if (ours && (ours->name == name || std::find(ours->former_names.begin(), ours->former_names.end(),
                                                     name) != ours->former_names.end()))
            continue;
        return Error{Code::kUnavailable, "schema_mismatch",
                     "the store at " + path_ + " has migration " + std::to_string(version) + " \"" + name +
                         "\" but this provisioner's migration " + std::to_string(version) + " is " +
                         (ours ? "\"" + std::string(ours->name) + "\"" : "missing") +
                         ": the store was migrated by another build; restore a backup made by this one",
                     {}, {}};
    }
    if (q.failed()) return Error::internal("store: cannot read the migrations: " + conn.lastError());
    return okStatus();
}

int SqliteStore::latestVersion() { return sqlite::migrations().back().version; }

Result<std::unique_ptr<sqlite::Connection>> SqliteStore::connect() {
    std::unique_ptr<sqlite::Connection> conn = TRY(sqlite::Connection::open(path_));
    auto& c = *conn;
    // WAL lets phones' reads run beside admin writes; NORMAL sync is durable
    // across application crashes, and the WAL is checkpointed by SQLite.
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                               "PRAGMA foreign_keys=ON", "PRAGMA temp_store=MEMORY"}) {
        if (auto st = c.exec(pragma); !st) {
            return Error{Code::kUnavailable, "store_unavailable",
                         "cannot use the store at " + path_ + ": " + st.error().message, {}, {}};
        }
    }
    return conn;
}

Result<SqliteStore::Lease> SqliteStore::acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || open_connections_ < max_connections_; });
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
    }
    ++open_connections_;
    lock.unlock();
    auto conn = connect();
    if (!conn) {
        std::lock_guard relock(mutex_);
        --open_connections_;
        available_.notify_one();
        return conn.error();
    }
    return Lease(this, std::move(conn).value());
}

void SqliteStore::release(std::unique_ptr<sqlite::Connection> conn) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
    available_.notify_one();
}

// A bulk unit of work gets 32 MiB of page cache (a 100k-row import stays in
// memory until commit) and gives it back after: every pooled connection
// keeping 32 MiB would hold the server's memory at pool size x 32 MiB once
// an admin has paged through a large store. SQLite's default is 2,000 KiB.
Status SqliteStore::run(const Work& work, const char* begin, bool bulk) {
    // Timed from the wait for a connection to the commit: what a phone's
    // fetch waits for. The kind follows the BEGIN (IMMEDIATE: a writer).
    const int64_t start = clock_.monotonicMicros();
    struct Timed {
        const Clock& clock;
        int64_t start;
        metrics::ServerMetrics::StoreWork kind;
        ~Timed() { metrics::serverMetrics().storeWork(kind, clock.monotonicMicros() - start); }
    } timed{clock_, start,
            std::strcmp(begin, "BEGIN IMMEDIATE") == 0 ? metrics::ServerMetrics::StoreWork::kWrite
                                                       : metrics::ServerMetrics::StoreWork::kRead};
    auto lease = TRY(acquire());
    auto& conn = *lease;
    if (!bulk) return runIn(conn, work, begin);
    TRY(conn.execCached("PRAGMA cache_size=-32768"));
    // Given back however the work ends, a throw included: the connection
    // goes back to the pool either way.
    struct Restore {
        sqlite::Connection& conn;
        ~Restore() { (void)conn.execCached("PRAGMA cache_size=-2000"); }
    } restore{conn};
    return runIn(conn, work, begin);
}

Status SqliteStore::runIn(sqlite::Connection& conn, const Work& work, const char* begin) {
    if (auto st = conn.execCached(begin); !st) {
        metrics::serverMetrics().storeBusy();
        return Error{Code::kUnavailable, "store_busy", "the store is busy; try again", {}, {}};
    }
    sqlite::SqliteTx tx(conn, clock_);
    Status result = okStatus();
    try {
        result = work(tx);
    } catch (...) {
        (void)conn.execCached("ROLLBACK");
        throw;
    }
    if (!result) {
        (void)conn.execCached("ROLLBACK");
        return result;
    }
    if (auto st = conn.execCached("COMMIT"); !st) {
        (void)conn.execCached("ROLLBACK");
        return st;
    }
    return result;
}

Status SqliteStore::read(const Work& work) { return run(work, "BEGIN DEFERRED", false); }
Status SqliteStore::write(const Work& work) { return run(work, "BEGIN IMMEDIATE", false); }
Status SqliteStore::readBulk(const Work& work) { return run(work, "BEGIN DEFERRED", true); }
Status SqliteStore::writeBulk(const Work& work) { return run(work, "BEGIN IMMEDIATE", true); }

Result<int> SqliteStore::schemaVersion() {
    auto lease = TRY(acquire());
    auto& conn = *lease;
    TRY(conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                  " applied_at INTEGER NOT NULL)"));
    sqlite::Stmt q(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!q.step()) return Error::internal("store: cannot read the schema version: " + conn.lastError());
    return static_cast<int>(q.integer(0));
}

Result<MigrationReport> SqliteStore::migrate() {
    const int from = TRY(schemaVersion());
    MigrationReport report{from, from, {}};
    auto lease = TRY(acquire());
    auto& conn = *lease;
    TRY(conn.exec("BEGIN IMMEDIATE"));
    for (const auto& m : sqlite::migrations()) {
        if (m.version <= report.to_version) continue;
        if (auto st = conn.exec(std::string(m.sql)); !st) {
            (void)conn.exec("ROLLBACK");
            return Error::internal("migration " + std::to_string(m.version) + " failed: " +
                                   st.error().message);
        }
        sqlite::Stmt ins(conn, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)");
        ins.bind(1, static_cast<int64_t>(m.version)).bind(2, m.name).bind(3, clock_.nowSeconds());
        ins.step();
        if (ins.failed()) {
            (void)conn.exec("ROLLBACK");
            return Error::internal("cannot record migration: " + conn.lastError());
        }
        report.to_version = m.version;
        report.applied.push_back(std::to_string(m.version) + " " + std::string(m.name));
    }
    TRY(conn.exec("COMMIT"));
    return report;
}

Status SqliteStore::backup(const std::string& destination) {
    const std::string temp = destination + ".partial";
    std::remove(temp.c_str());
    std::unique_ptr<sqlite::Connection> dest = TRY(sqlite::Connection::open(temp));
    auto lease = TRY(acquire());
    sqlite3_backup* b = sqlite3_backup_init(dest->handle(), "main", (*lease).handle(), "main");
    if (!b) return Error::internal("backup: " + dest->lastError());
    // One step copies every page inside a single read transaction, so the
    // copy is the database as it was at one moment, writers or not.
    const int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        std::remove(temp.c_str());
        return Error::internal(std::string("backup failed: ") + sqlite3_errstr(rc));
    }
    (void)dest->exec("PRAGMA journal_mode=DELETE");
    dest.reset();
    if (std::rename(temp.c_str(), destination.c_str()) != 0)
        return Error::internal("backup: cannot move the copy to " + destination);
    return okStatus();
}

Result<std::string> SqliteStore::integrityCheck() {
    auto lease = TRY(acquire());
    sqlite::Stmt q(*lease, std::string("PRAGMA integrity_check"));
    std::string out;
    while (q.step()) {
        if (!out.empty()) out += "\n";
        out += q.text(0);
    }
    return out;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::settingValues(const std::string& key) {
    auto lease = TRY(acquire());
    sqlite::Stmt q(*lease, "SELECT scope, value FROM settings WHERE key = ? ORDER BY scope");
    q.bind(1, key);
    std::vector<std::pair<std::string, std::string>> out;
    while (q.step()) out.emplace_back(q.text(0), q.text(1));
    if (q.failed()) return Error::internal("store: cannot read settings: " + (*lease).lastError());
    return out;
}

}  // namespace prov
