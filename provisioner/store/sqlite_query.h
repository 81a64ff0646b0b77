#pragma once

// Pieces shared by the SqliteTx files: list paging and filters.

#include <string>
#include <variant>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/store/sqlite_connection.h"

namespace prov::sqlite {

inline std::string pageClause(Page page) {
    return " LIMIT " + std::to_string(page.limit) + " OFFSET " + std::to_string(page.offset);
}

// A WHERE clause built from optional conditions, with its arguments. Each
// condition holds one parameter (a bare `?`, or `?N` with N = next() when it
// is used more than once), and the arguments are bound in the order the
// conditions were added, whatever their types: the k-th argument is ?k.
struct Where {
    std::string sql;
    std::vector<std::variant<std::string, int64_t>> args;
    void add(const std::string& cond, std::string arg) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += cond;
        args.emplace_back(std::move(arg));
    }
    void addInt(const std::string& cond, int64_t arg) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += cond;
        args.emplace_back(arg);
    }
    // The number of the next condition's parameter.
    int next() const { return static_cast<int>(args.size()) + 1; }
    void bind(Stmt& s) const {
        int i = 1;
        for (const auto& a : args) std::visit([&](const auto& v) { s.bind(i++, v); }, a);
    }
};

inline Result<int64_t> countWhere(Connection& conn, const std::string& table, const Where& w) {
    Stmt s(conn, "SELECT COUNT(*) FROM " + table + w.sql);
    w.bind(s);
    if (!s.step()) return Error::internal("store: count failed: " + conn.lastError());
    return s.integer(0);
}

}  // namespace prov::sqlite
