// What only the PostgreSQL store does: run by tests/pg/with_cluster.sh
// (the integration_pg_* CTest entries). Without a cluster every case fails:
// these never pass by not running.

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fakes/test_store.h"
#include "provisioner/store/pg_migrations.h"

using namespace prov;

namespace {

std::unique_ptr<PgStore> fresh(const Clock& clock) {
    REQUIRE_FALSE(testing::testPgUrl().empty());  // tests/pg/with_cluster.sh sets it
    return testing::openPgTestStore(clock);
}

Extension ext(const std::string& number) {
    Extension e;
    e.extension = number;
    e.callerid_name = "Name " + number;
    e.secret = "secret-" + number;
    return e;
}

// The notifications waiting on `conn`, after waiting up to `ms` for one.
int notificationsWithin(pg::Connection& conn, int ms) {
    int got = 0;
    for (int waited = 0; waited <= ms && got == 0; waited += 10) {
        PQconsumeInput(conn.handle());
        while (PGnotify* n = PQnotifies(conn.handle())) {
            if (std::string(n->relname) == pg::kConfigChannel) ++got;
            PQfreemem(n);
        }
        if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
}

}  // namespace

TEST_CASE("postgresql: a fresh database is migrated to this build's schema, once") {
    FakeClock clock;
    REQUIRE_FALSE(testing::testPgUrl().empty());
    const std::string url = testing::freshPgUrl();
    auto store = PgStore::open(url, clock);
    REQUIRE(store);
    CHECK(store.value()->schemaVersion().value() == 0);
    auto first = store.value()->migrate();
    REQUIRE(first);
    CHECK(first.value().applied.size() == pg::migrations().size());
    CHECK(store.value()->schemaVersion().value() == SqliteStore::latestVersion());
    auto again = store.value()->migrate();
    REQUIRE(again);
    CHECK(again.value().applied.empty());
    CHECK(store.value()->probe());
}

TEST_CASE("postgresql: the migrations are SQLite's, by number and name") {
    const auto& ours = pg::migrations();
    REQUIRE(ours.size() == sqlite::migrations().size());
    for (size_t i = 0; i < ours.size(); ++i) {
        CHECK(ours[i].version == sqlite::migrations()[i].version);
        CHECK(ours[i].name == sqlite::migrations()[i].name);
    }
}

TEST_CASE("postgresql: a database migrated by another build is refused at open") {
    FakeClock clock;
    REQUIRE_FALSE(testing::testPgUrl().empty());
    const std::string url = testing::freshPgUrl();
    REQUIRE(PgStore::open(url, clock).value()->migrate());
    auto conn = pg::Connection::open(url);
    REQUIRE(conn);
    REQUIRE(conn.value()->exec("UPDATE schema_migrations SET name = 'firmware images' WHERE version = 2"));
    auto refused = PgStore::open(url, clock);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "schema_mismatch");
}

TEST_CASE("postgresql: a committed config change is announced on the config channel, a rolled back one is not") {
    FakeClock clock;
    auto store = fresh(clock);
    auto listener = store->connect();
    REQUIRE(listener);
    REQUIRE(listener.value()->exec(std::string("LISTEN ") + pg::kConfigChannel));
    int64_t before = 0, after = 0;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        before = TRY(tx.configGeneration());
        return okStatus();
    }));
    CHECK_FALSE(store->write([](StoreTx& tx) -> Status {
        Extension e = ext("2001");
        TRY(tx.insertExtension(e));
        return Error::invalid("changed my mind");
    }));
    CHECK(notificationsWithin(*listener.value(), 200) == 0);
    REQUIRE(store->write([](StoreTx& tx) -> Status {
        Extension e = ext("2001");
        return tx.insertExtension(e);
    }));
    CHECK(notificationsWithin(*listener.value(), 2000) == 1);
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        after = TRY(tx.configGeneration());
        return okStatus();
    }));
    CHECK(after > before);
    // A fetch's last-seen update moves nothing a config is rendered from.
    REQUIRE(store->write([](StoreTx& tx) -> Status {
        Device d;
        d.mac = "0015654aa937";
        TRY(tx.insertDevice(d));
        return okStatus();
    }));
    (void)notificationsWithin(*listener.value(), 2000);
    REQUIRE(store->write([](StoreTx& tx) -> Status {
        TRY(tx.touchDevice("0015654aa937", 100, "127.0.0.9", "Yealink", "", "y0.cfg", "", false));
        return okStatus();
    }));
    CHECK(notificationsWithin(*listener.value(), 200) == 0);
}

TEST_CASE("postgresql: a connection the server dropped is replaced, the unit of work run on a fresh one") {
    FakeClock clock;
    auto store = fresh(clock);
    REQUIRE(store->write([](StoreTx& tx) -> Status {
        Extension e = ext("3001");
        return tx.insertExtension(e);
    }));
    // Every other session of this database ends, as in a server restart.
    auto admin = store->connect();
    REQUIRE(admin);
    REQUIRE(admin.value()->exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        " AND datname = current_database() AND backend_type = 'client backend'"));
    // The pooled connection is dead: found so at BEGIN, the work runs on a
    // fresh one; no unit of work fails.
    bool found = false;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        found = TRY(tx.getExtension("3001")).has_value();
        return okStatus();
    }));
    CHECK(found);
}

TEST_CASE("postgresql: a write waits for the writers' lock at most store.lock_timeout_ms") {
    FakeClock clock;
    const std::string url = testing::freshPgUrl();
    auto holder = PgStore::open(url, clock);
    REQUIRE(holder);
    REQUIRE(holder.value()->migrate());
    auto waiter = PgStore::open(url, clock, PgStoreOptions{.lock_timeout_ms = 200});
    REQUIRE(waiter);

    // One write holds the lock until the other has given up (bounded: 20 s).
    std::mutex m;
    std::condition_variable cv;
    bool held = false;
    bool done = false;
    std::thread writer([&] {
        (void)holder.value()->write([&](StoreTx& tx) -> Status {
            Extension e = ext("4001");
            TRY(tx.insertExtension(e));
            std::unique_lock lock(m);
            held = true;
            cv.notify_all();
            cv.wait_for(lock, std::chrono::seconds(20), [&] { return done; });
            return okStatus();
        });
    });
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return held; }));
    }
    const auto start = std::chrono::steady_clock::now();
    const Status refused = waiter.value()->write([](StoreTx& tx) -> Status {
        Extension e = ext("4002");
        return tx.insertExtension(e);
    });
    const auto waited = std::chrono::steady_clock::now() - start;
    {
        std::lock_guard lock(m);
        done = true;
        cv.notify_all();
    }
    writer.join();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kUnavailable);
    CHECK(refused.error().reason == "store_busy");
    CHECK(refused.error().message.find("write lock was not granted within 200 ms") != std::string::npos);
    CHECK(waited >= std::chrono::milliseconds(150));
    CHECK(waited < std::chrono::seconds(10));
    // Nothing of the refused write was stored; once the lock is free the
    // same store writes (its connection was not left in a transaction).
    REQUIRE(waiter.value()->write([](StoreTx& tx) -> Status {
        CHECK(TRY(tx.getExtension("4001")).has_value());
        CHECK_FALSE(TRY(tx.getExtension("4002")).has_value());
        Extension e = ext("4003");
        return tx.insertExtension(e);
    }));
}

TEST_CASE("postgresql: a unit of work waits for a pooled connection at most store.lock_timeout_ms") {
    FakeClock clock;
    const std::string url = testing::freshPgUrl();
    REQUIRE(PgStore::open(url, clock).value()->migrate());
    auto store = PgStore::open(url, clock, PgStoreOptions{.lock_timeout_ms = 200, .max_connections = 1});
    REQUIRE(store);
    // The pool's one connection is in use by the outer read: the inner one
    // waits for it, then gives up instead of waiting for ever.
    Status inner = okStatus();
    REQUIRE(store.value()->read([&](StoreTx&) -> Status {
        inner = store.value()->read([](StoreTx&) { return okStatus(); });
        return okStatus();
    }));
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == Code::kUnavailable);
    CHECK(inner.error().reason == "store_busy");
    CHECK(inner.error().message.find("no PostgreSQL store connection came free within 200 ms") != std::string::npos);
    // Given back, the connection serves the next unit of work.
    CHECK(store.value()->read([](StoreTx&) { return okStatus(); }));
}

TEST_CASE("postgresql: a server that answers and refuses is broken, not away") {
    FakeClock clock;
    const std::string url = testing::freshPgUrl();
    // A login refused (a role that is not there): no store, not a blip.
    auto refused = PgStore::open(url + "&user=no_such_role_here", clock);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kUnavailable);
    CHECK(refused.error().reason == "store_unavailable");
    // A schema nothing was migrated into: the probe's table is missing.
    auto empty = PgStore::open(url, clock);
    REQUIRE(empty);
    const Status probe = empty.value()->probe();
    REQUIRE_FALSE(probe);
    CHECK(probe.error().reason == "store_unavailable");
    // Migrated, it answers.
    REQUIRE(empty.value()->migrate());
    CHECK(empty.value()->probe());
}
