// provisioner migrate-store's copy (store/store_copy.h) against a cluster of
// its own (tests/pg/with_cluster.sh): what it compares is what it commits,
// a copy that differs stores nothing, and the source's column names are
// taken from our schema, never pasted into SQL.

#include <catch2/catch.hpp>

#include "fakes/test_store.h"
#include "provisioner/store/store_copy.h"
#include "temp_dir.h"

using namespace prov;

namespace {

// A SQLite store at this build's schema holding one extension.
std::string sourceStore(const testing::TempDir& dir, const Clock& clock) {
    const std::string path = dir.path() + "/store.db";
    auto store = SqliteStore::open(path, clock);
    REQUIRE(store);
    REQUIRE(store.value()->migrate());
    REQUIRE(store.value()->write([](StoreTx& tx) -> Status {
        Extension e;
        e.extension = "1001";
        e.callerid_name = "Ann";
        e.secret = "secret-1001";
        return tx.insertExtension(e);
    }));
    return path;
}

// A migrated, empty target.
std::string targetUrl(const Clock& clock) {
    REQUIRE_FALSE(testing::testPgUrl().empty());  // tests/pg/with_cluster.sh sets it
    const std::string url = testing::freshPgUrl();
    REQUIRE(PgStore::open(url, clock).value()->migrate());
    return url;
}

int64_t rows(const std::string& url, const char* table) {
    auto conn = pg::Connection::open(url);
    REQUIRE(conn);
    pg::Stmt s(*conn.value(), std::string("SELECT COUNT(*) FROM ") + table);
    REQUIRE(s.step());
    return s.integer(0);
}

}  // namespace

TEST_CASE("migrate-store: a copy that differs from its source is rolled back, nothing stored") {
    FakeClock clock;
    testing::TempDir dir;
    const std::string source = sourceStore(dir, clock);
    const std::string url = targetUrl(clock);
    // The target changes every extension written into it: the comparison,
    // made before COMMIT, sees it.
    auto conn = pg::Connection::open(url);
    REQUIRE(conn);
    REQUIRE(conn.value()->exec(
        "CREATE FUNCTION tamper() RETURNS trigger AS $$ BEGIN NEW.callerid_name := NEW.callerid_name || '!';"
        " RETURN NEW; END $$ LANGUAGE plpgsql;"
        " CREATE TRIGGER tamper BEFORE INSERT ON extensions FOR EACH ROW EXECUTE FUNCTION tamper()"));

    auto report = copySqliteToPostgres(source, url, clock);
    REQUIRE(report);
    CHECK_FALSE(report.value().committed);
    CHECK_FALSE(report.value().matches());
    for (const TableCopy& t : report.value().tables) {
        INFO(t.table);
        CHECK(t.matches() == (t.table != "extensions"));
        if (t.table == "extensions") {
            CHECK(t.source_rows == 1);
            CHECK(t.target_rows == 1);  // inside the transaction, before its ROLLBACK
        }
    }
    CHECK(rows(url, "extensions") == 0);
    CHECK(rows(url, "settings") == 0);

    // Without the tamper the same target takes the copy: nothing was left.
    REQUIRE(conn.value()->exec("DROP TRIGGER tamper ON extensions"));
    auto again = copySqliteToPostgres(source, url, clock);
    REQUIRE(again);
    CHECK(again.value().committed);
    CHECK(again.value().matches());
    CHECK(rows(url, "extensions") == 1);
}

TEST_CASE("migrate-store: a source column this build's schema lacks is refused by name, nothing stored") {
    FakeClock clock;
    testing::TempDir dir;
    const std::string source = sourceStore(dir, clock);
    const std::string url = targetUrl(clock);
    {
        auto crafted = sqlite::Connection::open(source);
        REQUIRE(crafted);
        REQUIRE(crafted.value()->exec("ALTER TABLE devices ADD COLUMN \"x\"\") VALUES (1); --\" TEXT"));
    }
    auto refused = copySqliteToPostgres(source, url, clock);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kInvalidArgument);
    CHECK(refused.error().message ==
          "migrate-store: the source's table devices has a column this build's schema does not: "
          "\"x\"\") VALUES (1); --\"");
    CHECK(rows(url, "extensions") == 0);
}

TEST_CASE("migrate-store: a source lacking a column of this build's schema is refused by name") {
    FakeClock clock;
    testing::TempDir dir;
    const std::string source = sourceStore(dir, clock);
    const std::string url = targetUrl(clock);
    {
        auto crafted = sqlite::Connection::open(source);
        REQUIRE(crafted);
        REQUIRE(crafted.value()->exec("ALTER TABLE settings DROP COLUMN value"));
    }
    auto refused = copySqliteToPostgres(source, url, clock);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "migrate-store: the source's table settings lacks the column \"value\"");
    CHECK(rows(url, "extensions") == 0);
}
