#include "provisioner/store/sqlite_connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace prov::sqlite {

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path) {
    // Before the library initialises: no global memory statistics, so no
    // global mutex around every allocation (each connection is one thread's
    // at a time, see SqliteStore). Refused harmlessly once initialised.
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
    // A new store is made readable by its owner alone before SQLite opens it:
    // it holds SIP passwords, device credentials and the server's keys, and
    // SQLite gives its -wal and -shm files the same mode.
    // One made before (by an older version, or by hand) is brought to 0600
    // too, with its -wal and -shm.
    if (path != ":memory:" && !path.empty()) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
        for (const std::string& p : {path, path + "-wal", path + "-shm"}) {
            struct stat st {};
            if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
                ::chmod(p.c_str(), st.st_mode & 0700);
        }
    }
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string why = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return Error{Code::kUnavailable, "store_unavailable",
                     "cannot open the store at " + path + ": " + why, {}, {}};
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

Status Connection::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = err ? err : "unknown error";
        sqlite3_free(err);
        return Error::internal("store: " + why);
    }
    return okStatus();
}

Status Connection::execCached(const char* sql) {
    sqlite3_stmt* stmt = cached(sql);
    if (!stmt) return Error::internal("store: " + lastError());
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error::internal("store: " + lastError());
    return okStatus();
}

sqlite3_stmt* Connection::cached(const char* sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
        return nullptr;
    cache_.emplace(sql, stmt);
    return stmt;
}

Stmt::Stmt(Connection& conn, const char* cached_sql) : conn_(conn), stmt_(conn.cached(cached_sql)) {
    if (!stmt_) rc_ = SQLITE_ERROR;
}

Stmt::Stmt(Connection& conn, const std::string& dynamic_sql) : conn_(conn), owned_(true) {
    if (sqlite3_prepare_v2(conn.handle(), dynamic_sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
        stmt_ = nullptr;
        rc_ = SQLITE_ERROR;
    }
}

Stmt::~Stmt() {
    if (!stmt_) return;
    if (owned_) {
        sqlite3_finalize(stmt_);
    } else {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

Stmt& Stmt::bind(int i, std::string_view v) {
    if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
    return *this;
}

Stmt& Stmt::bindNull(int i) {
    if (stmt_) sqlite3_bind_null(stmt_, i);
    return *this;
}

Stmt& Stmt::bindOptional(int i, std::string_view v) { return v.empty() ? bindNull(i) : bind(i, v); }

bool Stmt::step() {
    if (!stmt_) return false;
    rc_ = sqlite3_step(stmt_);
    return rc_ == SQLITE_ROW;
}

std::string Stmt::text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

}  // namespace prov::sqlite
