// The parameter translation every PostgreSQL statement goes through: the
// SQLite spellings of the store's statements, as $N; and what a connection
// that could not be opened says.

#include <catch2/catch.hpp>

#include "provisioner/store/pg_connection.h"

using prov::pg::translateParameters;

TEST_CASE("parameters are numbered as SQLite numbers them") {
    struct Case {
        const char* in;
        const char* out;
        int params;
    };
    const Case cases[] = {
        {"SELECT 1", "SELECT 1", 0},
        {"a = ? AND b = ?", "a = $1 AND b = $2", 2},
        {"a = ?1 OR b = ?1", "a = $1 OR b = $1", 1},
        // A bare ? after ?N takes one more than the largest so far.
        {"x = ?1, y = COALESCE(y, ?1), z = ?", "x = $1, y = COALESCE(y, $1), z = $2", 2},
        {"?3 = '' OR label = ?3 AND a = ?2", "$3 = '' OR label = $3 AND a = $2", 3},
        {"?10", "$10", 10},
        // Quoted text and identifiers are not parameters.
        {"a LIKE '%?%' AND \"we?ird\" = ?", "a LIKE '%?%' AND \"we?ird\" = $1", 1},
        {"x = 'it''s?' AND y = ?", "x = 'it''s?' AND y = $1", 1},
        {"unterminated '?", "unterminated '?", 0},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        const auto t = translateParameters(c.in);
        CHECK(t.sql == c.out);
        CHECK(t.params == c.params);
    }
}

TEST_CASE("a ? in text PostgreSQL does not read as SQL is no parameter") {
    struct Case {
        const char* what;
        const char* in;
        const char* out;
        int params;
    };
    const Case cases[] = {
        {"a literal with a doubled quote", "x = 'a''?b' AND y = ?", "x = 'a''?b' AND y = $1", 1},
        {"a literal that is only doubled quotes", "x = '''?''' AND y = ?", "x = '''?''' AND y = $1", 1},
        {"an E'' literal with an escaped quote", R"(x = E'a\'?' AND y = ?)", R"(x = E'a\'?' AND y = $1)", 1},
        {"a word ending in e before a quote opens no E''", R"(name'\' = ?)", R"(name'\' = $1)", 1},
        {"an identifier with a doubled quote", R"("a""?" = ?)", R"("a""?" = $1)", 1},
        {"a line comment", "x = ? -- why? ?\nAND y = ?", "x = $1 -- why? ?\nAND y = $2", 2},
        {"a line comment at the end", "x = ? -- ?", "x = $1 -- ?", 1},
        {"a block comment", "x = /* ? */ ?", "x = /* ? */ $1", 1},
        {"a nested block comment", "x = /* a /* ? */ ? */ ?", "x = /* a /* ? */ ? */ $1", 1},
        {"an unterminated block comment", "x = ? /* ?", "x = $1 /* ?", 1},
        {"a dollar quote", "x = $$it's ?$$ AND y = ?", "x = $$it's ?$$ AND y = $1", 1},
        {"a tagged dollar quote holding $$", "x = $f$ $$ ? $$ $f$ || ?", "x = $f$ $$ ? $$ $f$ || $1", 1},
        {"an unterminated dollar quote", "x = ? || $q$ ?", "x = $1 || $q$ ?", 1},
        {"a $ inside an identifier opens nothing", "a$b = ? AND c$ = ?", "a$b = $1 AND c$ = $2", 2},
        {"a $N parameter opens nothing", "x = $1 AND y = ?2", "x = $1 AND y = $2", 2},
        {"a lone minus and slash are operators", "x - ? / ?", "x - $1 / $2", 2},
    };
    for (const Case& c : cases) {
        INFO(c.what << ": " << c.in);
        const auto t = translateParameters(c.in);
        CHECK(t.sql == c.out);
        CHECK(t.params == c.params);
    }
}

TEST_CASE("a connection not opened is unreachable unless the server answered and refused it") {
    using prov::pg::connectFailureReason;
    CHECK(std::string(connectFailureReason(
              "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")) == "store_unreachable");
    CHECK(std::string(connectFailureReason("timeout expired")) == "store_unreachable");
    CHECK(std::string(connectFailureReason("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  the "
                                           "database system is shutting down")) == "store_unreachable");
    CHECK(std::string(connectFailureReason("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  sorry, "
                                           "too many clients already")) == "store_unreachable");
    CHECK(std::string(connectFailureReason("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  "
                                           "password authentication failed for user \"prov\"")) ==
          "store_unavailable");
    CHECK(std::string(connectFailureReason("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  "
                                           "database \"prov\" does not exist")) == "store_unavailable");
    // A port nobody listens on, for real.
    auto conn = prov::pg::Connection::open("postgresql://127.0.0.1:1/prov?connect_timeout=2");
    REQUIRE_FALSE(conn);
    CHECK(conn.error().code == prov::Code::kUnavailable);
    CHECK(conn.error().reason == "store_unreachable");
}
