#pragma once

// ORDER BY and search clauses of the inventory lists: each API sort key maps
// to a fixed SQL expression here; what a client sends only picks one.

#include <optional>
#include <string>
#include <string_view>

#include "provisioner/store/store.h"

namespace prov::sqlite {

// The SQL an ORDER BY is written in: SQLite compares text without case by
// COLLATE NOCASE, PostgreSQL by lower() in the C collation (byte order,
// as SQLite's, whatever the database's locale).
enum class Dialect { kSqlite, kPostgres };

// " ORDER BY ..." for `order` (the extension, then id, break ties so that
// pages do not overlap), or nullopt for a key not in extensionSortKeys().
std::optional<std::string> extensionOrderBy(const ListOrder& order, Dialect dialect = Dialect::kSqlite);
// The same for devices (ties broken by MAC).
std::optional<std::string> deviceOrderBy(const ListOrder& order, Dialect dialect = Dialect::kSqlite);

// `q` as a LIKE pattern matching it anywhere (with ESCAPE '\').
std::string containsPattern(std::string_view q);
// `q` as a fragment of a stored MAC (12 lowercase hex digits): separators
// dropped, lowercased; "" when it cannot be part of one.
std::string macFragment(std::string_view q);

}  // namespace prov::sqlite

// The PostgreSQL store's statements (pg_tx_*.cpp) build the same clauses.
namespace prov::pg {
using sqlite::containsPattern;
using sqlite::deviceOrderBy;
using sqlite::Dialect;
using sqlite::extensionOrderBy;
using sqlite::macFragment;
}  // namespace prov::pg
