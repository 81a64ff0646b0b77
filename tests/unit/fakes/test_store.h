#pragma once

// The store a unit test runs against: a fresh in-memory SQLite store, or,
// when PROVISIONER_TEST_PG_URL names a PostgreSQL database (as
// tests/pg/with_cluster.sh sets it), a fresh schema of that database.
// Migrated either way. The same test binary runs once per back end: the
// `unit` entries of CTest on SQLite, the `*_pg` entries on PostgreSQL.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "provisioner/store/pg_connection.h"
#include "provisioner/store/pg_store.h"
#include "provisioner/store/sqlite_store.h"

namespace prov::testing {

// The test cluster's URL, or "" when the tests run on SQLite.
inline std::string testPgUrl() {
    const char* url = std::getenv("PROVISIONER_TEST_PG_URL");
    return url ? url : "";
}

// The URL of a new, empty schema of the test cluster: each test case gets
// a store of its own, as each gets its own ":memory:" on SQLite.
inline std::string freshPgUrl() {
    static std::atomic<int> counter{0};
    const std::string base = testPgUrl();
    const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    auto conn = pg::Connection::open(base);
    if (!conn) throw std::runtime_error("test cluster: " + conn.error().message);
    if (auto st = conn.value()->exec("CREATE SCHEMA " + schema); !st)
        throw std::runtime_error("test cluster: " + st.error().message);
    return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

// A migrated PgStore on a fresh schema.
inline std::unique_ptr<PgStore> openPgTestStore(const Clock& clock) {
    auto s = PgStore::open(freshPgUrl(), clock);
    if (!s) throw std::runtime_error("test cluster: " + s.error().message);
    if (auto m = s.value()->migrate(); !m) throw std::runtime_error("migrate failed: " + m.error().message);
    return std::move(s).value();
}

inline std::unique_ptr<Store> openTestStore(const Clock& clock) {
    if (!testPgUrl().empty()) return openPgTestStore(clock);
    auto s = SqliteStore::open(":memory:", clock);
    if (!s) throw std::runtime_error("open failed: " + s.error().message);
    if (auto m = s.value()->migrate(); !m) throw std::runtime_error("migrate failed: " + m.error().message);
    return std::move(s).value();
}

}  // namespace prov::testing
