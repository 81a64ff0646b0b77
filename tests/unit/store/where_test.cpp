// The list filters' WHERE clause: each argument bound to its own
// placeholder, in the order the conditions were added, on both back ends
// (PostgreSQL when tests/pg/with_cluster.sh gives this binary a cluster).

#include <catch2/catch.hpp>

#include "fakes/test_store.h"
#include "provisioner/store/pg_query.h"
#include "provisioner/store/sqlite_query.h"

using namespace prov;

namespace {

// One row (a = 5, b = 'x', c = 7) to count with a filter.
constexpr const char* kRow = "(SELECT 5 AS a, 'x' AS b, 7 AS c) AS t";

template <typename Where, typename Conn>
void checkBindOrder(Conn& conn) {
    SECTION("an integer condition before a text one") {
        Where w;
        w.addInt("a = ?", 5);
        w.add("b = ?", "x");
        auto n = countWhere(conn, kRow, w);
        REQUIRE(n);
        CHECK(n.value() == 1);
    }
    SECTION("text and integers interleaved, and a numbered parameter from next()") {
        Where w;
        w.add("b = ?", "x");
        w.addInt("a = ?", 5);
        const std::string p = "?" + std::to_string(w.next());
        w.addInt("(c = " + p + " OR c + 1 = " + p + ")", 7);
        w.add("b <> ?", "y");
        auto n = countWhere(conn, kRow, w);
        REQUIRE(n);
        CHECK(n.value() == 1);
    }
    SECTION("a filter that does not hold counts nothing") {
        Where w;
        w.addInt("a = ?", 6);
        w.add("b = ?", "x");
        auto n = countWhere(conn, kRow, w);
        REQUIRE(n);
        CHECK(n.value() == 0);
    }
}

}  // namespace

TEST_CASE("a WHERE clause binds its arguments in placeholder order: SQLite") {
    auto conn = sqlite::Connection::open(":memory:");
    REQUIRE(conn);
    checkBindOrder<sqlite::Where>(*conn.value());
}

TEST_CASE("a WHERE clause binds its arguments in placeholder order: PostgreSQL") {
    if (testing::testPgUrl().empty()) return;  // the unit run: SQLite only; the integration_pg_ run has a cluster
    auto conn = pg::Connection::open(testing::testPgUrl());
    REQUIRE(conn);
    checkBindOrder<pg::Where>(*conn.value());
}
