#include "provisioner/store/pg_connection.h"

#include <cstdlib>

namespace prov::pg {

namespace {

constexpr Oid kInt8 = 20;  // pg_type.oid of bigint

// The part of a libpq message worth a log line: its first line.
std::string firstLine(const char* message) {
    std::string m = message ? message : "";
    if (const size_t nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
    return m;
}

bool isIdentChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}

// The end (one past) of the quoted text that starts at `i` with `quote`:
// a doubled quote is one character of the text, and in an E'...' string a
// backslash escapes the next character. Unterminated: the end of `sql`.
size_t quotedEnd(std::string_view sql, size_t i, char quote, bool backslashes) {
    for (size_t j = i + 1; j < sql.size(); ++j) {
        if (backslashes && sql[j] == '\\') {
            ++j;
        } else if (sql[j] == quote) {
            if (j + 1 < sql.size() && sql[j + 1] == quote) {
                ++j;
                continue;
            }
            return j + 1;
        }
    }
    return sql.size();
}

// The end of the /* comment */ at `i`; PostgreSQL's comments nest.
size_t blockCommentEnd(std::string_view sql, size_t i) {
    int depth = 0;
    for (size_t j = i; j + 1 < sql.size(); ++j) {
        if (sql[j] == '/' && sql[j + 1] == '*') {
            ++depth;
            ++j;
        } else if (sql[j] == '*' && sql[j + 1] == '/') {
            ++j;
            if (--depth == 0) return j + 1;
        }
    }
    return sql.size();
}

// The end of the $tag$...$tag$ string at `i`, or npos when the `$` there
// opens none (a tag starts with a letter or `_`; `$1` is a parameter).
size_t dollarQuoteEnd(std::string_view sql, size_t i) {
    size_t j = i + 1;
    if (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') return std::string_view::npos;
    while (j < sql.size() && sql[j] != '$' && isIdentChar(sql[j])) ++j;
    if (j >= sql.size() || sql[j] != '$') return std::string_view::npos;
    const std::string_view tag = sql.substr(i, j - i + 1);
    const size_t close = sql.find(tag, j + 1);
    return close == std::string_view::npos ? sql.size() : close + tag.size();
}

// Where the text that starts at `i` and is no SQL ends (quoted text,
// quoted identifiers, comments, dollar quotes), or npos when it is SQL.
size_t skippedEnd(std::string_view sql, size_t i) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    const bool after_word = i > 0 && isIdentChar(sql[i - 1]);
    if (c == '\'') {
        // E'...' (not the end of a word such as "name'..."): backslash escapes.
        const bool escapes =
            i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && !(i > 1 && isIdentChar(sql[i - 2]));
        return quotedEnd(sql, i, '\'', escapes);
    }
    if (c == '"') return quotedEnd(sql, i, '"', false);
    if (c == '-' && next == '-') {
        const size_t nl = sql.find('\n', i);
        return nl == std::string_view::npos ? sql.size() : nl;
    }
    if (c == '/' && next == '*') return blockCommentEnd(sql, i);
    // `$` inside a word is part of an identifier (PostgreSQL allows it).
    if (c == '$' && !after_word) return dollarQuoteEnd(sql, i);
    return std::string_view::npos;
}

}  // namespace

// A bare `?` takes one more than the largest number given so far, as SQLite
// numbers it, so "?1 ... ?" reads the same on both back ends. A `?` in text
// that PostgreSQL does not read as SQL (a literal, a quoted identifier, a
// comment, a dollar-quoted body) is no parameter and is copied as it is.
Translated translateParameters(std::string_view sql) {
    Translated out;
    out.sql.reserve(sql.size() + 16);
    for (size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (const size_t end = skippedEnd(sql, i); end != std::string_view::npos) {
            out.sql.append(sql.substr(i, end - i));
            i = end - 1;
            continue;
        }
        if (c != '?') {
            out.sql.push_back(c);
            continue;
        }
        size_t j = i + 1;
        int n = 0;
        while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
        if (j == i + 1) n = out.params + 1;
        if (n > out.params) out.params = n;
        out.sql += "$" + std::to_string(n);
        i = j - 1;
    }
    return out;
}

const char* connectFailureReason(const std::string& message) {
    // libpq gives no SQLSTATE for a connection it could not open; a server
    // that answered says FATAL, and only its start-up, shutdown, recovery
    // and the client limit are passing (57P03, 53300).
    const bool refused = message.find("FATAL:") != std::string::npos &&
                         message.find("the database system is") == std::string::npos &&
                         message.find("too many") == std::string::npos;
    return refused ? "store_unavailable" : "store_unreachable";
}

Error failureOf(const Connection& conn, const std::string& what, bool broken_is_unavailable) {
    const std::string& state = conn.lastState();
    const auto has = [&](const char* prefix) { return state.rfind(prefix, 0) == 0; };
    if (has("08") || has("57P") || (state.empty() && !conn.healthy()))
        return Error{Code::kUnavailable, "store_unreachable",
                     "the PostgreSQL store does not answer (" + what + "): " + conn.lastError(), {}, {}};
    if (has("40") || state == "55P03" || state == "57014")
        return Error{Code::kUnavailable, "store_busy", "the store is busy; try again", {}, {}};
    if (broken_is_unavailable)
        return Error{Code::kUnavailable, "store_unavailable",
                     "the PostgreSQL store refuses " + what + ": " + conn.lastError(), {}, {}};
    return Error::internal("store: " + what + ": " + conn.lastError());
}

Result<std::unique_ptr<Connection>> Connection::open(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& options) {
    // The URL expanded as the dbname (expand_dbname), then the options:
    // libpq keeps the last value of a keyword given twice.
    std::vector<const char*> keywords{"dbname"};
    std::vector<const char*> values{url.c_str()};
    for (const auto& [key, value] : options) {
        keywords.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        // The message never carries the URL: it may hold a password.
        const std::string why = conn ? firstLine(PQerrorMessage(conn)) : "out of memory";
        PQfinish(conn);
        return Error{Code::kUnavailable, connectFailureReason(why), "cannot connect to the PostgreSQL store: " + why,
                     {}, {}};
    }
    // Notices (a table "already exists, skipping") are not errors: not logged.
    PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
    return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

void Connection::noteFailure(const PGresult* result) {
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    last_state_ = state ? state : "";
    last_error_ = firstLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    if (last_error_.empty()) last_error_ = firstLine(PQerrorMessage(conn_));
}

Status Connection::exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        noteFailure(r);
        PQclear(r);
        return Error{Code::kInternal, "internal", "store: " + last_error_, {}, {}};
    }
    PQclear(r);
    return okStatus();
}

Stmt::Stmt(Connection& conn, const char* cached_sql) : conn_(conn), cached_(cached_sql) {}

Stmt::Stmt(Connection& conn, const std::string& dynamic_sql)
    : conn_(conn), dynamic_(translateParameters(dynamic_sql)) {}

Stmt::~Stmt() { PQclear(result_); }

Stmt& Stmt::bind(int i, std::string_view v) {
    if (values_.size() < static_cast<size_t>(i)) {
        values_.resize(i);
        types_.resize(i, 0);
    }
    values_[i - 1] = std::string(v);
    return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
    bind(i, std::to_string(v));
    types_[i - 1] = kInt8;
    return *this;
}

Stmt& Stmt::bindNull(int i) {
    if (values_.size() < static_cast<size_t>(i)) {
        values_.resize(i);
        types_.resize(i, 0);
    }
    values_[i - 1].reset();
    return *this;
}

Stmt& Stmt::bindOptional(int i, std::string_view v) { return v.empty() ? bindNull(i) : bind(i, v); }

// A cached statement is prepared at its first run on this connection, with
// the types of that run's binds: an integer bound is a bigint (a parameter
// alone, as in NULLIF(?, 0), would otherwise be taken for a 32-bit one),
// text and NULL are left for the server to infer from the statement.
void Stmt::run() {
    ran_ = true;
    int params = dynamic_.params;
    if (cached_) {
        auto it = conn_.cache_.find(cached_);
        if (it == conn_.cache_.end()) {
            const Translated t = translateParameters(cached_);
            types_.resize(t.params, 0);
            const std::string name = "s" + std::to_string(conn_.cache_.size() + 1);
            PGresult* r = PQprepare(conn_.conn_, name.c_str(), t.sql.c_str(), t.params, types_.data());
            if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                conn_.noteFailure(r);
                PQclear(r);
                failed_ = true;
                return;
            }
            PQclear(r);
            it = conn_.cache_.emplace(cached_, Connection::Prepared{name, t.params}).first;
        }
        params = it->second.params;
    }
    values_.resize(params);
    types_.resize(params, 0);
    std::vector<const char*> values(params, nullptr);
    for (int i = 0; i < params; ++i) values[i] = values_[i] ? values_[i]->c_str() : nullptr;
    result_ = cached_ ? PQexecPrepared(conn_.conn_, conn_.cache_.at(cached_).name.c_str(), params, values.data(),
                                       nullptr, nullptr, 0)
                      : PQexecParams(conn_.conn_, dynamic_.sql.c_str(), params, types_.data(), values.data(),
                                     nullptr, nullptr, 0);
    const ExecStatusType st = PQresultStatus(result_);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        conn_.noteFailure(result_);
        failed_ = true;
    }
}

bool Stmt::step() {
    if (!ran_) run();
    if (failed_ || !result_) return false;
    if (row_ + 1 >= PQntuples(result_)) return false;
    ++row_;
    return true;
}

std::string Stmt::text(int col) const {
    if (PQgetisnull(result_, row_, col)) return "";
    return std::string(PQgetvalue(result_, row_, col), PQgetlength(result_, row_, col));
}

int64_t Stmt::integer(int col) const {
    const char* v = PQgetvalue(result_, row_, col);
    if (v[0] == 't') return 1;
    if (v[0] == 'f') return 0;
    return std::strtoll(v, nullptr, 10);
}

int64_t Stmt::changes() const {
    if (!result_) return 0;
    const char* n = PQcmdTuples(result_);
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

}  // namespace prov::pg
