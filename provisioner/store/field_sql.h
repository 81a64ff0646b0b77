#pragma once

// SQL from the field tables (model/fields.h): the column lists of SELECT,
// INSERT and UPDATE, and the binds and reads in the same order. A field is
// read when it has a column of the record's table or a joined expression,
// and written by the statements of its Access. Shared by the SQLite and the
// PostgreSQL back ends (their Stmt classes have the same shape); column
// names are quoted, as both take them, because PostgreSQL reserves `user`.

#include <string>
#include <string_view>
#include <vector>

#include "provisioner/model/fields.h"

namespace prov::sql {

template <typename R>
using FieldList = std::vector<const Field<R>*>;

// The fields stored in the record's own table that `access` sets.
template <typename R>
FieldList<R> writtenBy(const FieldTable<R>& table, std::initializer_list<Access> access) {
    FieldList<R> out;
    for (const auto& f : table) {
        if (f.column.empty()) continue;
        for (Access a : access) {
            if (f.access == a) out.push_back(&f);
        }
    }
    return out;
}

inline std::string quoted(std::string_view column) { return "\"" + std::string(column) + "\""; }

// "p.a, p.b, <joined expression>, ..." for every field that is read.
template <typename R>
std::string selectList(const FieldTable<R>& table, std::string_view prefix) {
    std::string out;
    for (const auto& f : table) {
        if (f.column.empty() && f.joined.empty()) continue;
        if (!out.empty()) out += ", ";
        out += f.column.empty() ? std::string(f.joined) : std::string(prefix) + quoted(f.column);
    }
    return out;
}

// "a, b, c" (suffix "") or "a=?, b=?, c=?" (suffix "=?").
template <typename R>
std::string columnList(const FieldList<R>& fields, std::string_view suffix = "") {
    std::string out;
    for (const auto* f : fields) {
        if (!out.empty()) out += ", ";
        out += quoted(f->column) + std::string(suffix);
    }
    return out;
}

inline std::string placeholders(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
    return out;
}

// Binds `fields` of `r` from parameter `first` on; returns the next index.
template <typename R, typename Stmt>
int bindFields(Stmt& s, const FieldList<R>& fields, const R& r, int first) {
    int i = first;
    for (const auto* f : fields) {
        const bool nullable = f->has(kNullable);
        switch (f->kind) {
            case FieldKind::kText:
            case FieldKind::kMac:
                nullable ? s.bindOptional(i, textOf(*f, r)) : s.bind(i, textOf(*f, r));
                break;
            case FieldKind::kBool: s.bind(i, static_cast<int64_t>(boolOf(*f, r))); break;
            case FieldKind::kInt:
            case FieldKind::kTime:
                if (nullable && intOf(*f, r) == 0) {
                    s.bindNull(i);
                } else {
                    s.bind(i, intOf(*f, r));
                }
                break;
            case FieldKind::kEnum: s.bind(i, enumOf(*f, r)); break;
        }
        ++i;
    }
    return i;
}

// Reads the columns of selectList() into a fresh record; NULL reads as
// empty or 0, an unknown enum name as the record's default.
template <typename R, typename Stmt>
R readRecord(const Stmt& s, const FieldTable<R>& table) {
    R r;
    int c = 0;
    for (const auto& f : table) {
        if (f.column.empty() && f.joined.empty()) continue;
        switch (f.kind) {
            case FieldKind::kText:
            case FieldKind::kMac: textOf(f, r) = s.text(c); break;
            case FieldKind::kBool: setBool(f, r, s.integer(c) != 0); break;
            case FieldKind::kInt:
            case FieldKind::kTime: setInt(f, r, s.integer(c)); break;
            case FieldKind::kEnum: (void)setEnum(f, r, s.text(c)); break;
        }
        ++c;
    }
    return r;
}

}  // namespace prov::sql

namespace prov::sqlite {
using sql::bindFields;
using sql::columnList;
using sql::FieldList;
using sql::placeholders;
using sql::readRecord;
using sql::selectList;
using sql::writtenBy;
}  // namespace prov::sqlite

namespace prov::pg {
using sql::bindFields;
using sql::columnList;
using sql::FieldList;
using sql::placeholders;
using sql::readRecord;
using sql::selectList;
using sql::writtenBy;
}  // namespace prov::pg
