#pragma once

// The extension store on PostgreSQL (store.url = postgresql://...), for
// several stateless provisioners sharing one fleet. The same schema as the
// SQLite store (pg_migrations.h), the same statements (pg_tx.h), and the
// same single-writer rule across every node: a write transaction takes one
// transaction-scoped advisory lock first, as SQLite's BEGIN IMMEDIATE takes
// the file's write lock, so every read-then-write rule written against the
// SQLite store (the licence count before an insert, a staging window's
// device limit) holds across nodes too. Reads run beside writes on a
// REPEATABLE READ snapshot.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/store/pg_connection.h"
#include "provisioner/store/store.h"

namespace prov {

// The advisory lock every write transaction takes (transaction-scoped).
inline constexpr int64_t kPgWriteLock = 7262017001;
// The fleet leader's advisory lock (session-scoped, pg_fleet.cpp).
inline constexpr int64_t kPgLeaderLock = 7262017003;
// How long a leader's last proof of the lock holds (PgStore::leads): less
// than the server takes to drop the session of a host that is gone (TCP
// keepalives at 5 s, then 3 probes 2 s apart: 11 s), so that an old leader
// stops before a successor can take the lock.
inline constexpr int64_t kPgLeadProofMicros = 6'000'000;

struct PgStoreOptions {
    // The longest a unit of work waits for a pooled connection, and a write
    // (any lock its transaction asks for, the writers' lock first) waits for
    // a lock another node holds; past it the work fails Unavailable
    // ("store_busy") and nothing is written (store.lock_timeout_ms).
    int64_t lock_timeout_ms = 30000;
    // Connections the pool opens at most.
    size_t max_connections = 8;
};

class PgStore final : public Store {
public:
    // Connects to `url` and checks that the schema there is not newer than
    // this build nor another build's. Does not migrate.
    static Result<std::unique_ptr<PgStore>> open(const std::string& url, const Clock& clock,
                                                 PgStoreOptions options = {});
    ~PgStore() override;

    Status read(const Work& work) override;
    Status write(const Work& work) override;

    // Applies the migrations this database lacks, under a session advisory
    // lock, so that nodes starting together migrate once: the others wait,
    // then find nothing left to apply.
    Result<MigrationReport> migrate();
    Result<int> schemaVersion();
    static int latestVersion();
    // Whether the database answers a read now (the server's /readyz).
    Status probe() override;
    // A connection of its own, outside the pool (the config listener, the
    // store copy); no transaction is open on it.
    Result<std::unique_ptr<pg::Connection>> connect();

    // Leadership (pg_fleet.cpp): the session-level advisory lock
    // kPgLeaderLock, on a connection kept for it alone. Held while that
    // session lives; each call proves it still does with a round trip, so a
    // node that lost the server learns it at its next call, and a node that
    // stopped (or died: its socket closes) frees it at once for the next
    // call of another. A host that is gone or cut off is dropped by the
    // server after about 11 s (TCP keepalives and tcp_user_timeout, set on
    // that session), and leads() says false once the last proof is
    // kPgLeadProofMicros old, even while a round trip hangs: the old leader
    // stops first. The chores are conditional writes under the writers'
    // lock besides, so an overlap repeats nothing (docs/postgresql.md).
    Result<bool> tryLead() override;
    bool leads() const override;
    // Gives leadership up at once: unlocked, and the connection closed.
    void resign();
    // A row lock (FOR KEY SHARE) in a transaction of its own, on a pooled
    // connection held until the Hold ends (pg_fleet.cpp).
    Result<std::unique_ptr<Hold>> holdOutbox(int64_t id) override;

private:
    PgStore(std::string url, const Clock& clock, PgStoreOptions options);
    // A pooled connection, returned to the pool when the lease ends.
    class Lease {
    public:
        Lease(PgStore* store, std::unique_ptr<pg::Connection> conn) : store_(store), conn_(std::move(conn)) {}
        Lease(Lease&& other) noexcept = default;
        ~Lease() {
            if (conn_) store_->release(std::move(conn_));
        }
        pg::Connection& operator*() { return *conn_; }

    private:
        PgStore* store_;
        std::unique_ptr<pg::Connection> conn_;
    };
    // A pooled connection; Unavailable when none comes free in time.
    Result<Lease> acquire();
    void release(std::unique_ptr<pg::Connection> conn);
    // Closes every idle connection (after one was found dropped by the server).
    void dropIdle();
    Status run(const Work& work, const std::string& begin, bool writer);
    Status checkMigrationNames();

    std::string url_;
    const Clock& clock_;
    PgStoreOptions options_;
    std::string begin_write_;  // BEGIN, the lock timeout, the writers' lock
    size_t open_connections_ = 0;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<pg::Connection>> idle_;
    std::mutex leader_mutex_;  // one tryLead at a time
    std::unique_ptr<pg::Connection> leader_;
    std::atomic<bool> leads_{false};
    // clock_.monotonicMicros() when the lock was last proven held (taken
    // before the round trip that proved it).
    std::atomic<int64_t> lead_proven_at_{0};
};

}  // namespace prov
