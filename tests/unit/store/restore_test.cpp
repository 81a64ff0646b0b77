// Restoring a backup in place of the store (store/restore.h): the checks a
// backup must pass, the store kept aside, and nothing changed on a refusal.

#include "provisioner/store/restore.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "provisioner/store/sqlite_connection.h"
#include "provisioner/store/sqlite_store.h"
#include "temp_dir.h"

using namespace prov;

namespace {

// A migrated store at `path` whose table `marker` holds `value`.
void makeStore(const std::string& path, const std::string& value, const Clock& clock) {
    auto store = SqliteStore::open(path, clock);
    REQUIRE(store);
    REQUIRE(store.value()->migrate());
    store.value().reset();
    auto conn = sqlite::Connection::open(path);
    REQUIRE(conn);
    REQUIRE(
        conn.value()->exec("CREATE TABLE IF NOT EXISTS marker(v TEXT); DELETE FROM marker; "
                           "INSERT INTO marker VALUES ('" +
                           value + "')"));
}

std::string marker(const std::string& path) {
    auto conn = sqlite::Connection::open(path);
    REQUIRE(conn);
    sqlite::Stmt q(*conn.value(), std::string("SELECT v FROM marker"));
    return q.step() ? q.text(0) : "";
}

std::string bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE(
    "restore: the backup replaces the store, the store is kept aside, the backup is untouched") {
    testing::TempDir dir;
    FakeClock clock;
    const std::string store = dir.path() + "/store.db", backup = dir.path() + "/monday.db";
    makeStore(backup, "monday", clock);
    makeStore(store, "tuesday", clock);
    const std::string before = bytes(backup);
    const std::string aside = asideName(store, clock.nowSeconds());
    CHECK(aside == store + ".before-restore-20231114T221320Z");

    auto r = restoreStore(backup, store, aside, clock);
    REQUIRE(r);
    CHECK(r.value().schema_version == SqliteStore::latestVersion());
    CHECK(r.value().aside == aside);
    CHECK(marker(store) == "monday");
    CHECK(marker(aside) == "tuesday");
    CHECK(modeOf(store) == 0600);
    CHECK(modeOf(aside) == 0600);
    CHECK(bytes(backup) == before);
    CHECK_FALSE(exists(store + ".restore-partial"));
    // The restored store opens as any other.
    auto reopened = SqliteStore::open(store, clock);
    REQUIRE(reopened);
    CHECK(reopened.value()->integrityCheck().value() == "ok");

    // A second restore in the same second keeps both stores aside.
    CHECK(asideName(store, clock.nowSeconds()) == aside + "-2");
}

TEST_CASE("restore: into a place with no store, nothing is set aside") {
    testing::TempDir dir;
    FakeClock clock;
    const std::string backup = dir.path() + "/b.db", store = dir.path() + "/new/store.db";
    makeStore(backup, "b", clock);
    REQUIRE(std::filesystem::create_directories(dir.path() + "/new"));
    auto r = restoreStore(backup, store, store + ".aside", clock);
    REQUIRE(r);
    CHECK(r.value().aside.empty());
    CHECK(marker(store) == "b");
    CHECK_FALSE(exists(store + ".aside"));
}

TEST_CASE(
    "restore: a backup that fails a check is refused, naming it, and the store is unchanged") {
    testing::TempDir dir;
    FakeClock clock;
    const std::string store = dir.path() + "/store.db";
    makeStore(store, "live", clock);

    // Not SQLite at all.
    const std::string text = dir.write("notes.txt", std::string(8192, 'x'));
    // SQLite, but no provisioner store.
    const std::string other = dir.path() + "/other.db";
    REQUIRE(sqlite::Connection::open(other).value()->exec(
        "CREATE TABLE t(x); INSERT INTO t VALUES (1)"));
    // A store from a newer provisioner.
    const std::string newer = dir.path() + "/newer.db";
    makeStore(newer, "newer", clock);
    REQUIRE(sqlite::Connection::open(newer).value()->exec(
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'from the future', "
        "0)"));
    // A store whose pages were damaged after it was written.
    const std::string damaged = dir.path() + "/damaged.db";
    makeStore(damaged, "damaged", clock);
    REQUIRE(sqlite::Connection::open(damaged).value()->exec("PRAGMA journal_mode=DELETE"));
    {
        // The head of pages 2 to 6 (page type, cell count, cell pointers):
        // whatever b-trees or freelist pages they are, a check walks them.
        std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
        const std::string junk(64, '\x5a');
        for (int page = 1; page <= 5; ++page) {
            f.seekp(4096 * page);
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        REQUIRE(f);
    }

    struct Case {
        std::string file;
        std::string says;
    };
    const Case cases[] = {
        {text, text + " is not a store this provisioner can restore (file is not a database)"},
        {other, other + " is not a provisioner store: it records no schema migrations"},
        {newer,
         "the store at " + newer + " has schema version 999 but this provisioner knows up to"},
        {damaged, damaged},
        {dir.path() + "/missing.db", "cannot read " + dir.path() + "/missing.db"},
        {dir.path(), dir.path() + " is not a regular file"},
    };
    const std::string live = bytes(store);
    for (const Case& c : cases) {
        INFO(c.file);
        const std::string backup_bytes = bytes(c.file);
        auto r = restoreStore(c.file, store, store + ".aside", clock);
        REQUIRE_FALSE(r);
        CHECK(r.error().reason == "bad_backup");
        CHECK(r.error().message.find(c.says) != std::string::npos);
        CHECK(r.error().message.find(".restore-partial") == std::string::npos);
        CHECK(bytes(store) == live);
        CHECK(marker(store) == "live");
        CHECK(bytes(c.file) == backup_bytes);
        CHECK_FALSE(exists(store + ".aside"));
        CHECK_FALSE(exists(store + ".restore-partial"));
    }
}
