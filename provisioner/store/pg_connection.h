#pragma once

// Thin RAII over one libpq connection with a cache of prepared statements,
// shaped like sqlite_connection.h so that the PgTx files read as their
// SqliteTx twins: statements are written with `?` and `?N` parameters
// (numbered as SQLite numbers them) and turned into PostgreSQL's `$N` once.
//
// libpq rather than Poco Data's PostgreSQL connector: the config generation
// is announced with LISTEN/NOTIFY, which only libpq's PQnotifies reaches,
// and one driver for the whole back end is simpler than two.
//
// Not thread-safe: a connection is used by one thread at a time (the pool in
// PgStore hands them out).

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::pg {

// `sql` with SQLite's `?` / `?N` parameters written as `$N`, and the
// number of parameters. What PostgreSQL does not read as SQL is copied as it
// is, a `?` in it no parameter: 'literals' ('' inside one, and E'\'' too),
// "identifiers" ("" inside one), -- line and /* nested */ comments, and
// $tag$ dollar-quoted $tag$ bodies.
struct Translated {
    std::string sql;
    int params = 0;
};
Translated translateParameters(std::string_view sql);

class Connection;

// What a failed statement (or BEGIN, or COMMIT) on `conn` means for its
// caller, by SQLSTATE class, `what` naming the work:
//  - "store_unreachable" (kUnavailable): the server is gone or going (08
//    connection exception, 57P operator intervention: a shutdown or
//    failover, or a connection that died without a state);
//  - "store_busy" (kUnavailable): the server answered that the work lost a
//    race (40 serialization failure or deadlock, 55P03 lock timeout, 57014
//    a statement cancelled); trying again may well work;
//  - "store_unavailable" (kUnavailable) when `broken_is_unavailable`: the
//    server answered and refused (28 authorization, 3D no such database,
//    42 a missing table or a permission denied): it will not come back by
//    itself; else an internal error.
Error failureOf(const Connection& conn, const std::string& what, bool broken_is_unavailable);
// The reason a connection that could not be opened gives: "store_unavailable"
// when the server answered and refused it (a login, a database that is not
// there), else "store_unreachable".
const char* connectFailureReason(const std::string& message);

class Connection {
public:
    // Connects to `url` (postgresql://user@host:port/db?...). `options`:
    // libpq keywords (keepalives_idle, ...) that take the place of the
    // URL's own.
    static Result<std::unique_ptr<Connection>> open(
        const std::string& url, const std::vector<std::pair<std::string, std::string>>& options = {});
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    PGconn* handle() { return conn_; }
    // False once the server went away (a restart): the pool drops it.
    bool healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
    // Runs one or more statements without parameters or results.
    Status exec(const std::string& sql);
    std::string lastError() const { return last_error_; }
    // The SQLSTATE of the last failed statement ("23505": unique violation).
    const std::string& lastState() const { return last_state_; }

private:
    friend class Stmt;
    struct Prepared {
        std::string name;
        int params;
    };
    explicit Connection(PGconn* conn) : conn_(conn) {}
    void noteFailure(const PGresult* result);
    PGconn* conn_;
    std::unordered_map<const char*, Prepared> cache_;
    std::string last_error_;
    std::string last_state_;
};

// A statement in use: binds by position, runs at the first step(), then
// walks the rows it returned.
class Stmt {
public:
    // A statement prepared once per connection: `cached_sql` must be a
    // string literal or a static string's c_str() (it is cached by address).
    Stmt(Connection& conn, const char* cached_sql);
    // An uncached statement built at run time (list filters).
    Stmt(Connection& conn, const std::string& dynamic_sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, int64_t v);
    Stmt& bindNull(int i);
    // Text, or NULL when empty.
    Stmt& bindOptional(int i, std::string_view v);
    // Runs the statement at the first call; true while a row is there.
    bool step();
    bool failed() const { return failed_; }
    std::string text(int col) const;
    // An integer column; a boolean reads as 1 or 0, NULL as 0.
    int64_t integer(int col) const;
    bool isNull(int col) const { return PQgetisnull(result_, row_, col) != 0; }
    // Rows an INSERT, UPDATE or DELETE changed.
    int64_t changes() const;

private:
    void run();
    Connection& conn_;
    const char* cached_ = nullptr;
    Translated dynamic_;
    std::vector<std::optional<std::string>> values_;
    std::vector<Oid> types_;
    PGresult* result_ = nullptr;
    bool ran_ = false;
    bool failed_ = false;
    int row_ = -1;
};

}  // namespace prov::pg
