#include "provisioner/store/pg_store.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "provisioner/core/server_metrics.h"
#include "provisioner/store/pg_migrations.h"
#include "provisioner/store/pg_tx.h"

namespace prov {

namespace {

// Advisory lock keys (one 64-bit space per database): the writers' lock
// (kPgWriteLock) and the migrations' lock. Arbitrary, fixed, and unlikely to
// meet another application's in the same database.
constexpr const char* kMigrateLock = "SELECT pg_advisory_lock(7262017002)";
constexpr const char* kMigrateUnlock = "SELECT pg_advisory_unlock(7262017002)";
// READ ONLY: a write inside read() would skip the writers' lock; PostgreSQL
// refuses it instead.
const std::string kBeginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
// lock_not_available: lock_timeout passed while a lock was waited for.
constexpr const char* kLockTimeoutState = "55P03";

Error busy(const std::string& why) { return Error{Code::kUnavailable, "store_busy", why, {}, {}}; }

}  // namespace

PgStore::~PgStore() = default;

// SET LOCAL: the bound holds for the rest of the write transaction too (a
// table lock held by a migration on another node), and ends with it. The
// pooled connection's own setting is left as it was.
PgStore::PgStore(std::string url, const Clock& clock, PgStoreOptions options)
    : url_(std::move(url)), clock_(clock), options_(options),
      begin_write_("BEGIN; SET LOCAL lock_timeout = " + std::to_string(options.lock_timeout_ms) +
                   "; SELECT pg_advisory_xact_lock(" + std::to_string(kPgWriteLock) + ")") {}

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url, const Clock& clock, PgStoreOptions options) {
    std::unique_ptr<PgStore> store(new PgStore(url, clock, options));
    const int version = TRY(store->schemaVersion());
    if (version > latestVersion()) {
        return Error{Code::kUnavailable, "schema_too_new",
                     "the PostgreSQL store has schema version " + std::to_string(version) +
                         " but this provisioner knows up to " + std::to_string(latestVersion()) +
                         "; upgrade the provisioner",
                     {}, {}};
    }
    TRY(store->checkMigrationNames());
    return store;
}

int PgStore::latestVersion() { return pg::migrations().back().version; }

Result<std::unique_ptr<pg::Connection>> PgStore::connect() { return pg::Connection::open(url_); }

Result<PgStore::Lease> PgStore::acquire() {
    std::unique_lock lock(mutex_);
    // A real-time wait, not the injected clock's: it bounds a thread's sleep.
    if (!available_.wait_for(lock, std::chrono::milliseconds(options_.lock_timeout_ms),
                             [&] { return !idle_.empty() || open_connections_ < options_.max_connections; }))
        return busy("no PostgreSQL store connection came free within " + std::to_string(options_.lock_timeout_ms) +
                    " ms (all " + std::to_string(options_.max_connections) + " in use; store.lock_timeout_ms)");
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

// A connection the server dropped (a restart, a failover) is not pooled
// again: the next unit of work connects afresh.
void PgStore::release(std::unique_ptr<pg::Connection> conn) {
    std::lock_guard lock(mutex_);
    if (conn->healthy()) {
        idle_.push_back(std::move(conn));
    } else {
        --open_connections_;
    }
    available_.notify_one();
}

void PgStore::dropIdle() {
    std::lock_guard lock(mutex_);
    open_connections_ -= idle_.size();
    idle_.clear();
    available_.notify_all();
}

Status PgStore::run(const Work& work, const std::string& begin, bool writer) {
    const int64_t start = clock_.monotonicMicros();
    struct Timed {
        const Clock& clock;
        int64_t start;
        metrics::ServerMetrics::StoreWork kind;
        ~Timed() { metrics::serverMetrics().storeWork(kind, clock.monotonicMicros() - start); }
    } timed{clock_, start,
            writer ? metrics::ServerMetrics::StoreWork::kWrite : metrics::ServerMetrics::StoreWork::kRead};
    // A pooled connection the server dropped (a restart, a failover) fails
    // at BEGIN, before anything ran: the work starts again on a fresh one
    // (the dead one is not pooled again), so a node rides out a restart of
    // PostgreSQL without failing a request once the server is back.
    std::optional<Lease> lease;
    Status began = okStatus();
    for (int attempt = 0; attempt < 2; ++attempt) {
        lease.reset();  // given back (and dropped) before another is taken
        lease.emplace(TRY(acquire()));
        began = (**lease).exec(begin);
        if (began || (**lease).healthy()) break;
        dropIdle();  // pooled beside it, so dropped by the same restart
    }
    auto& conn = **lease;
    if (!began) {
        if (writer) metrics::serverMetrics().storeBusy();
        Error why = conn.lastState() == kLockTimeoutState
                        ? busy("the PostgreSQL store's write lock was not granted within " +
                               std::to_string(options_.lock_timeout_ms) +
                               " ms: another write holds it (store.lock_timeout_ms)")
                        : pg::failureOf(conn, "BEGIN", true);
        // BEGIN may have opened a transaction that the lock call then failed
        // (a lock_timeout, a cancel): closed here, or the connection would go
        // back to the pool stuck in it and fail every later unit of work.
        (void)conn.exec("ROLLBACK");
        return why;
    }
    pg::PgTx tx(conn, clock_);
    Status result = okStatus();
    try {
        result = work(tx);
    } catch (...) {
        (void)conn.exec("ROLLBACK");
        throw;
    }
    if (!result) {
        (void)conn.exec("ROLLBACK");
        return result;
    }
    if (auto st = conn.exec("COMMIT"); !st) {
        // Read before the ROLLBACK, which would note its own failure. A
        // COMMIT lost with its connection is unreachable: whether it was
        // stored is not known (the event batches' ids cover it).
        Error why = pg::failureOf(conn, "COMMIT", false);
        (void)conn.exec("ROLLBACK");
        return why;
    }
    return result;
}

Status PgStore::read(const Work& work) { return run(work, kBeginRead, false); }
Status PgStore::write(const Work& work) { return run(work, begin_write_, true); }

Status PgStore::probe() {
    auto lease = TRY(acquire());
    pg::Stmt q(*lease, "SELECT COUNT(*) FROM schema_migrations");
    // By SQLSTATE: a server gone is "away" (/readyz: serving from memory);
    // a login refused, a database or table missing, a permission denied is
    // broken (serving: none), not something to wait out.
    if (!q.step()) return pg::failureOf(*lease, "a probe", true);
    return okStatus();
}

// 0 for a database nothing was migrated into: the table is made by
// migrate(), under its lock, never here (two nodes making it at once
// would collide).
Result<int> PgStore::schemaVersion() {
    auto lease = TRY(acquire());
    auto& conn = *lease;
    pg::Stmt exists(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists.step()) return pg::failureOf(conn, "the schema version", true);
    if (exists.integer(0) == 0) return 0;
    pg::Stmt q(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!q.step()) return Error::internal("store: cannot read the schema version: " + conn.lastError());
    return static_cast<int>(q.integer(0));
}

Status PgStore::checkMigrationNames() {
    if (TRY(schemaVersion()) == 0) return okStatus();
    auto lease = TRY(acquire());
    auto& conn = *lease;
    pg::Stmt q(conn, "SELECT version, name FROM schema_migrations ORDER BY version");
    while (q.step()) {
        const int version = static_cast<int>(q.integer(0));
        const std::string name = q.text(1);
        const sqlite::Migration* ours = nullptr;
        for (const auto& m : pg::migrations()) {
            if (m.version == version) ours = &m;
        }
        if (ours && (ours->name == name || std::find(ours->former_names.begin(), ours->former_names.end(),
                                                     name) != ours->former_names.end()))
            continue;
        return Error{Code::kUnavailable, "schema_mismatch",
                     "the PostgreSQL store has migration " + std::to_string(version) + " \"" + name +
                         "\" but this provisioner's migration " + std::to_string(version) + " is " +
                         (ours ? "\"" + std::string(ours->name) + "\"" : "missing") +
                         ": the store was migrated by another build",
                     {}, {}};
    }
    if (q.failed()) return Error::internal("store: cannot read the migrations: " + conn.lastError());
    return okStatus();
}

Result<MigrationReport> PgStore::migrate() {
    std::unique_ptr<pg::Connection> conn = TRY(connect());
    TRY(conn->exec(kMigrateLock));
    // The session lock goes with the connection if anything below fails.
    auto apply = [&]() -> Result<MigrationReport> {
        TRY(conn->exec("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                       " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
        pg::Stmt q(*conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        if (!q.step()) return Error::internal("store: cannot read the schema version: " + conn->lastError());
        const int from = static_cast<int>(q.integer(0));
        MigrationReport report{from, from, {}};
        // One transaction for them all: PostgreSQL's DDL is transactional,
        // so a failed migration leaves the schema as it was.
        TRY(conn->exec("BEGIN"));
        for (const auto& m : pg::migrations()) {
            if (m.version <= report.to_version) continue;
            if (auto st = conn->exec(std::string(m.sql)); !st) {
                (void)conn->exec("ROLLBACK");
                return Error::internal("migration " + std::to_string(m.version) + " failed: " + st.error().message);
            }
            pg::Stmt ins(*conn, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?,?,?)");
            ins.bind(1, static_cast<int64_t>(m.version)).bind(2, m.name).bind(3, clock_.nowSeconds());
            ins.step();
            if (ins.failed()) {
                (void)conn->exec("ROLLBACK");
                return Error::internal("cannot record migration: " + conn->lastError());
            }
            report.to_version = m.version;
            report.applied.push_back(std::to_string(m.version) + " " + std::string(m.name));
        }
        TRY(conn->exec("COMMIT"));
        return report;
    };
    auto report = apply();
    (void)conn->exec(kMigrateUnlock);
    return report;
}

}  // namespace prov
