#include <catch2/catch.hpp>

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "provisioner/store/migrations.h"
#include "provisioner/store/sqlite_store.h"
#include "fakes/test_store.h"
#include "temp_dir.h"

using namespace prov;

namespace {

std::unique_ptr<SqliteStore> openMigrated(const std::string& path, const Clock& clock) {
    auto s = SqliteStore::open(path, clock);
    REQUIRE(s);
    REQUIRE(s.value()->migrate());
    return std::move(s).value();
}

Extension ext(const std::string& number) {
    Extension e;
    e.extension = number;
    e.callerid_name = "Name " + number;
    e.secret = "secret-" + number;
    return e;
}

}  // namespace

TEST_CASE("migrations apply once and record their version") {
    FakeClock clock;
    auto s = SqliteStore::open(":memory:", clock);
    REQUIRE(s);
    auto& store = *s.value();
    CHECK(store.schemaVersion().value() == 0);
    auto first = store.migrate();
    REQUIRE(first);
    CHECK(first.value().applied.size() == sqlite::migrations().size());
    CHECK(first.value().to_version == SqliteStore::latestVersion());
    auto again = store.migrate();
    REQUIRE(again);
    CHECK(again.value().applied.empty());
}

TEST_CASE("a store migrated by another build (another migration of the same number) is refused at open") {
    FakeClock clock;
    testing::TempDir dir;
    const std::string path = dir.path() + "/store.db";
    openMigrated(path, clock).reset();
    REQUIRE(SqliteStore::open(path, clock));  // its own store opens
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "UPDATE schema_migrations SET name = 'firmware images' WHERE version = 2", nullptr,
                             nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto refused = SqliteStore::open(path, clock);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "schema_mismatch");
    CHECK_THAT(refused.error().message, Catch::Contains("migration 2 \"firmware images\"") &&
                                            Catch::Contains("\"config generation counter\""));
}

TEST_CASE("a store that recorded a migration under a name main gave it before opens") {
    FakeClock clock;
    testing::TempDir dir;
    const std::string path = dir.path() + "/store.db";
    openMigrated(path, clock).reset();
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db,
                             "UPDATE schema_migrations SET name = 'wipes kept for a grace period, with both "
                             "credential pairs' WHERE version = 10",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    CHECK(SqliteStore::open(path, clock));
}

TEST_CASE("a failed unit of work stores nothing") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    Status st = store->write([](StoreTx& tx) -> Status {
        Extension e = ext("1001");
        if (auto r = tx.insertExtension(e); !r) return r;
        return Error::invalid("changed my mind");
    });
    CHECK_FALSE(st);
    store->read([](StoreTx& tx) -> Status {
        CHECK_FALSE(tx.getExtension("1001").value());
        return okStatus();
    }).value();
}

TEST_CASE("extensions round-trip with their device and buttons") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    Status st = store->write([](StoreTx& tx) -> Status {
        Device d;
        d.mac = "0015654aa937";
        d.make = "Yealink";
        d.model = "T31";
        if (auto r = tx.insertDevice(d); !r) return r;
        Extension e = ext("1001");
        e.mac = d.mac;
        e.phone_reg = 1;
        e.voicemail_enabled = true;
        e.voicemail_pin = "1234";
        if (auto r = tx.insertExtension(e); !r) return r;
        return tx.replaceButtons(e.id, {{2, "blf", "1002", "Bob", 1}, {1, "line", "", "", 1}});
    });
    REQUIRE(st);
    store->read([](StoreTx& tx) -> Status {
        auto e = tx.getExtension("1001").value();
        REQUIRE(e);
        CHECK(e->phone_make == "Yealink");
        CHECK(e->phone_model == "T31");
        CHECK(e->voicemail_enabled);
        CHECK(e->version == 1);
        auto buttons = tx.getButtons(e->id).value();
        REQUIRE(buttons.size() == 2);
        CHECK(buttons[0].index == 1);
        CHECK(buttons[1].value == "1002");
        CHECK(tx.blfWatchersOf("1002").value() == std::vector<std::string>{"1001"});
        CHECK(tx.extensionsOnDevice("0015654aa937").value().size() == 1);
        return okStatus();
    }).value();
}

TEST_CASE("the schema enforces uniqueness and optimistic versions") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    REQUIRE(store->write([](StoreTx& tx) {
        Extension e = ext("1001");
        return tx.insertExtension(e);
    }));
    Status dup = store->write([](StoreTx& tx) {
        Extension e = ext("1001");
        return tx.insertExtension(e);
    });
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == Code::kAlreadyExists);

    Status stale = store->write([](StoreTx& tx) -> Status {
        Extension e = *tx.getExtension("1001").value();
        e.version = 7;
        return tx.updateExtension(e);
    });
    REQUIRE_FALSE(stale);
    CHECK(stale.error().reason == "version_conflict");
}

TEST_CASE("licensed extensions are counted by type") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    REQUIRE(store->write([](StoreTx& tx) -> Status {
        for (auto [n, t] : {std::pair{"1", DeviceType::kSip}, {"2", DeviceType::kIax2}, {"3", DeviceType::kVirtual},
                            {"4", DeviceType::kDahdi}}) {
            Extension e = ext(n);
            e.device_type = t;
            if (auto r = tx.insertExtension(e); !r) return r;
        }
        CHECK(tx.countLicensed().value() == 3);
        return okStatus();
    }));
}

TEST_CASE("backup writes a consistent copy") {
    FakeClock clock;
    char dir[] = "/tmp/prov-store-test.XXXXXX";
    REQUIRE(mkdtemp(dir));
    const std::string db = std::string(dir) + "/s.db";
    const std::string copy = std::string(dir) + "/copy.db";
    {
        auto store = openMigrated(db, clock);
        REQUIRE(store->write([](StoreTx& tx) {
            Extension e = ext("1001");
            return tx.insertExtension(e);
        }));
        REQUIRE(store->backup(copy));
    }
    auto restored = SqliteStore::open(copy, clock);
    REQUIRE(restored);
    CHECK(restored.value()->integrityCheck().value() == "ok");
    restored.value()->read([](StoreTx& tx) -> Status {
        CHECK(tx.getExtension("1001").value());
        return okStatus();
    }).value();
    for (const char* f : {"/s.db", "/s.db-wal", "/s.db-shm", "/copy.db"}) std::remove((std::string(dir) + f).c_str());
    rmdir(dir);
}

TEST_CASE("a store from a newer provisioner is refused") {
    FakeClock clock;
    char dir[] = "/tmp/prov-store-test.XXXXXX";
    REQUIRE(mkdtemp(dir));
    const std::string db = std::string(dir) + "/s.db";
    {
        auto store = openMigrated(db, clock);
        REQUIRE(store->write([](StoreTx&) { return okStatus(); }));
    }
    {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
        REQUIRE(sqlite3_exec(raw, "INSERT INTO schema_migrations VALUES (999, 'future', 0)", nullptr, nullptr,
                             nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    auto again = SqliteStore::open(db, clock);
    REQUIRE_FALSE(again);
    CHECK(again.error().message.find("999") != std::string::npos);
    for (const char* f : {"/s.db", "/s.db-wal", "/s.db-shm"}) std::remove((std::string(dir) + f).c_str());
    rmdir(dir);
}

TEST_CASE("a new store file, and its WAL, are readable by the owner alone") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/store.db";
    const mode_t old = umask(022);
    {
        FakeClock clock;
        auto store = SqliteStore::open(path, clock);
        umask(old);
        REQUIRE(store);
        REQUIRE(store.value()->migrate());
        struct stat st {};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        if (::stat((path + "-wal").c_str(), &st) == 0) CHECK((st.st_mode & 0777) == 0600);
    }
    umask(old);
}

TEST_CASE("server keys: the first value stays, later callers read it") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    std::string first, second;
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        first = TRY(tx.serverKey("digest_nonce", "aaaa"));
        second = TRY(tx.serverKey("digest_nonce", "bbbb"));
        return okStatus();
    }));
    CHECK(first == "aaaa");
    CHECK(second == "aaaa");
}

TEST_CASE("server keys: those of past periods are dropped by prefix and number, nothing else") {
    FakeClock clock;
    auto store = std::move(SqliteStore::open(":memory:", clock)).value();
    REQUIRE(store->migrate());
    const std::vector<std::string> names = {"tls_ticket.9",  "tls_ticket.10", "tls_ticket.11", "tls_ticket.x",
                                            "tls_ticket.",   "tls_ticketx.1", "digest_nonce",  "tls_ticket.1a"};
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        for (const auto& n : names) TRY(tx.serverKey(n, "v-" + n));
        return tx.dropServerKeysBefore("tls_ticket.", 11);
    }));
    std::vector<std::string> left;
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        for (const auto& n : names)
            if (TRY(tx.serverKey(n, "new")) != "new") left.push_back(n);
        return okStatus();
    }));
    // 9 and 10 were made again ("new"); every other key kept its value.
    CHECK(left == std::vector<std::string>{"tls_ticket.11", "tls_ticket.x", "tls_ticket.", "tls_ticketx.1",
                                           "digest_nonce", "tls_ticket.1a"});
}

namespace {

PendingWipe wipeFor(const std::string& mac, int64_t deleted_at) {
    PendingWipe w;
    w.mac = mac;
    w.make = "Yealink";
    w.model = "T46U";
    w.credentials = DeviceCredentials{mac, "u2", "p2", "u1", "p1", "0123456789abcdef", "fedcba9876543210", 10, 20, 0, 30};
    w.deleted_at = deleted_at;
    return w;
}

}  // namespace

TEST_CASE("a pending wipe keeps both credential pairs, and moves the config generation") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    int64_t before = 0;
    store->write([&](StoreTx& tx) -> Status {
        before = tx.configGeneration().value();
        return tx.putWipe(wipeFor("0015654aa937", clock.nowSeconds()));
    }).value();
    store->read([&](StoreTx& tx) -> Status {
        CHECK(tx.configGeneration().value() > before);
        const std::optional<PendingWipe> w = tx.getWipe("0015654aa937").value();
        REQUIRE(w);
        CHECK(w->model == "T46U");
        const DeviceCredentials& c = w->credentials;
        CHECK(c.mac == "0015654aa937");
        CHECK(c.user == "u2");
        CHECK(c.password == "p2");
        CHECK(c.prev_user == "u1");
        CHECK(c.prev_password == "p1");
        CHECK(c.aes_key == "0123456789abcdef");
        CHECK(c.prev_aes_key == "fedcba9876543210");
        CHECK(c.created_at == 10);
        CHECK(c.delivered_at == 20);
        CHECK(c.used_at == 0);
        CHECK(c.key_sent_at == 30);
        CHECK(w->deleted_at == clock.nowSeconds());
        CHECK(w->delivered_at == 0);
        CHECK_FALSE(tx.getWipe("0015654aa938").value());
        return okStatus();
    }).value();
}

TEST_CASE("a delivered wipe is served again for its grace period, then is gone") {
    FakeClock clock;
    prov::testing::TempDir dir;
    const std::string db = dir.path() + "/s.db";
    auto store = openMigrated(db, clock);
    store->write([&](StoreTx& tx) -> Status { return tx.putWipe(wipeFor("0015654aa937", clock.nowSeconds())); })
        .value();
    store->write([&](StoreTx& tx) -> Status {
        CHECK(tx.wipeDelivered("0015654aa937").value());
        CHECK_FALSE(tx.wipeDelivered("0015654aa937").value());  // a retry is not a second delivery
        return okStatus();
    }).value();
    clock.advance(kWipeGraceSeconds);
    store->read([&](StoreTx& tx) -> Status {
        const auto w = tx.getWipe("0015654aa937").value();
        REQUIRE(w);  // a transfer the network lost is retried within it
        CHECK(w->delivered_at == clock.nowSeconds() - kWipeGraceSeconds);
        return okStatus();
    }).value();
    clock.advance(1);
    store->read([&](StoreTx& tx) -> Status {
        CHECK_FALSE(tx.getWipe("0015654aa937").value());
        return okStatus();
    }).value();
    // The row goes with the next wipe written.
    store->write([&](StoreTx& tx) -> Status { return tx.putWipe(wipeFor("0015654aa938", clock.nowSeconds())); })
        .value();
    store.reset();
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, "SELECT group_concat(mac) FROM pending_wipes", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "0015654aa938");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

TEST_CASE("a wipe never fetched expires") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    store->write([&](StoreTx& tx) -> Status { return tx.putWipe(wipeFor("0015654aa937", clock.nowSeconds())); })
        .value();
    clock.advance(kWipeExpirySeconds);
    store->read([&](StoreTx& tx) -> Status {
        CHECK(tx.getWipe("0015654aa937").value());
        return okStatus();
    }).value();
    clock.advance(1);
    store->read([&](StoreTx& tx) -> Status {
        CHECK_FALSE(tx.getWipe("0015654aa937").value());
        return okStatus();
    }).value();
    store->write([&](StoreTx& tx) -> Status {
        CHECK(tx.purgeWipes().value() == 1);  // its row and the credentials in it
        CHECK(tx.purgeWipes().value() == 0);
        return okStatus();
    }).value();
}

TEST_CASE("a device added again takes the place of its wipe, a discovered one does not") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    store->write([&](StoreTx& tx) -> Status {
        TRY(tx.putWipe(wipeFor("0015654aa937", clock.nowSeconds())));
        TRY(tx.putWipe(wipeFor("0015654aa938", clock.nowSeconds())));
        Device seen;
        seen.mac = "0015654aa937";
        seen.state = DeviceState::kUnassigned;
        seen.origin = "phone";
        TRY(tx.insertDevice(seen));
        Device added;
        added.mac = "0015654aa938";
        TRY(tx.insertDevice(added));
        CHECK(tx.getWipe("0015654aa937").value());
        CHECK_FALSE(tx.getWipe("0015654aa938").value());
        return okStatus();
    }).value();
}

TEST_CASE("a batch of events is written whole, every field kept") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    std::vector<Event> batch;
    for (int i = 0; i < 1201; ++i) {  // past one PostgreSQL statement's 500 rows, twice
        Event e;
        e.at = 1000 + i;
        e.mac = "0015654aa937";
        e.peer_ip = "127.0.0." + std::to_string(i % 250 + 1);
        e.protocol = i % 2 ? "http" : "tftp";
        e.path = "/y" + std::to_string(i) + ".cfg";
        e.user_agent = "UA 'quoted' \"too\"";
        e.outcome = i == 1200 ? "denied" : "served";
        e.bytes = i;
        e.duration_us = 7;
        e.config_hash = "h" + std::to_string(i);
        e.auth = "network";
        e.wipe = i == 1200;
        batch.push_back(e);
    }
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.insertEvents(batch); }));
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        auto all = TRY(tx.listEvents({}, Page{2, 0}));
        CHECK(all.total == 1201);
        REQUIRE(all.items.size() == 2);
        const Event& last = all.items[0];  // newest first
        CHECK(last.at == 2200);
        CHECK(last.path == "/y1200.cfg");
        CHECK(last.user_agent == "UA 'quoted' \"too\"");
        CHECK(last.outcome == "denied");
        CHECK(last.bytes == 1200);
        CHECK(last.config_hash == "h1200");
        CHECK(last.auth == "network");
        CHECK(last.wipe);
        CHECK_FALSE(all.items[1].wipe);
        CHECK(all.items[1].protocol == "http");
        return okStatus();
    }));
}
