#pragma once

// Pieces shared by the PgTx files: list paging and filters.

#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/store/pg_connection.h"

namespace prov::pg {

inline std::string pageClause(Page page) {
    return " LIMIT " + std::to_string(page.limit) + " OFFSET " + std::to_string(page.offset);
}

// A WHERE clause built from optional conditions, with its arguments.
struct Where {
    std::string sql;
    std::vector<std::string> args;
    std::vector<int64_t> int_args;  // bound after the text ones
    void add(const std::string& cond, std::string arg) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += cond;
        args.push_back(std::move(arg));
    }
    void addInt(const std::string& cond, int64_t arg) {
        sql += sql.empty() ? " WHERE " : " AND ";
        sql += cond;
        int_args.push_back(arg);
    }
    void bind(Stmt& s) const {
        int i = 1;
        for (const auto& a : args) s.bind(i++, a);
        for (int64_t a : int_args) s.bind(i++, a);
    }
};

inline Result<int64_t> countWhere(Connection& conn, const std::string& table, const Where& w) {
    Stmt s(conn, "SELECT COUNT(*) FROM " + table + w.sql);
    w.bind(s);
    if (!s.step()) return Error::internal("store: count failed: " + conn.lastError());
    return s.integer(0);
}

}  // namespace prov::pg
