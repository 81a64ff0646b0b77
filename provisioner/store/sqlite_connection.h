#pragma once

// Thin RAII over one sqlite3 handle with a cache of prepared statements.
// Not thread-safe: a connection is used by one thread at a time (the pool in
// SqliteStore hands them out).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "provisioner/core/result.h"

namespace prov::sqlite {

class Connection {
public:
    // Opens (creating when absent) the database at `path`; ":memory:" works.
    static Result<std::unique_ptr<Connection>> open(const std::string& path);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* handle() { return db_; }
    // Runs one or more statements without results.
    Status exec(const std::string& sql);
    // Runs one cached statement without results (BEGIN, COMMIT, ROLLBACK):
    // skips parsing on the hot path. `sql` must be a string literal.
    Status execCached(const char* sql);
    // The cached statement for `sql`, reset and unbound. `sql` must be a
    // string literal (it is cached by address).
    sqlite3_stmt* cached(const char* sql);
    std::string lastError() const { return sqlite3_errmsg(db_); }

private:
    explicit Connection(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

// A statement in use: binds by position, steps, reads columns, and resets on
// destruction so the cached statement is ready for the next user.
class Stmt {
public:
    Stmt(Connection& conn, const char* cached_sql);
    // An uncached statement built at run time (list filters).
    Stmt(Connection& conn, const std::string& dynamic_sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    bool valid() const { return stmt_ != nullptr; }
    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, int64_t v);
    Stmt& bindNull(int i);
    // Text, or NULL when empty.
    Stmt& bindOptional(int i, std::string_view v);
    // SQLITE_ROW -> true, SQLITE_DONE -> false; errors are kept in rc().
    bool step();
    int rc() const { return rc_; }
    bool failed() const { return rc_ != SQLITE_ROW && rc_ != SQLITE_DONE && rc_ != SQLITE_OK; }
    std::string text(int col) const;
    int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

private:
    Connection& conn_;
    sqlite3_stmt* stmt_ = nullptr;
    bool owned_ = false;
    int rc_ = SQLITE_OK;
};

}  // namespace prov::sqlite
