// The parameter translation every PostgreSQL statement goes through: the
// SQLite spellings of the store's statements, as $N.

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
