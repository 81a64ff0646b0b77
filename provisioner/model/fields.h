#pragma once

// Each field of a record described once. A record's table (extensionFields(),
// deviceFields()) gives, per field: its JSON name, SQL column, CSV column and
// accepted alias, who may set it, whether viewers see it masked, its limits,
// and the member it lives in. The SQL statements (store/), JSON encoding
// (model/) and request decoding (admin/), CSV import and export (inventory/),
// the per-field validation and the "did anything change" check all walk these
// tables, so adding a field is one row (plus the member and a migration):
//
//   field("notes", &Extension::notes).text(1000),

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "provisioner/model/records.h"

namespace prov {

enum class FieldKind {
    kText,  // std::string
    kBool,  // bool
    kInt,   // int or int64_t
    kTime,  // int64_t Unix seconds; JSON as UTC text, null when 0
    kMac,   // std::string, canonical 12 hex digits; JSON and CSV in colons
    kEnum,  // an enum reached through EnumAccess
};

enum class Access {
    kEditable,  // an admin sets it (API, CLI, CSV); written by insert and update
    kKey,       // set when the record is created, never by an update (a device's MAC)
    kByPbx,     // read-only: the PBX sets it through PUT .../registration
    kBySeen,    // read-only: recorded when the phone fetches its config
    kByServer,  // read-only: ids, timestamps, version
};

enum class Secrecy {
    kPlain,
    kMasked,  // viewers and audit entries see a mask when it is set (voicemail PIN)
    kSecret,  // viewers always see a mask; CSV export only on request, as the last columns
};

// A per-field value rule applied by validate*(); rules that span fields stay
// hand-written in validation.cpp.
enum class Rule {
    kNone,
    kText,      // printable text, at most `limit` code points, `required` or not
    kDialable,  // empty, or +, digits, * and #, at most `limit` characters
};

// Field flags.
inline constexpr unsigned kNullable = 1;  // SQL NULL and JSON null when empty or 0
inline constexpr unsigned kCsvTrim = 2;   // CSV cells are trimmed (numbers, codes, catalog names)
inline constexpr unsigned kNotShown = 4;  // read-only in JSON input, left out of JSON output

template <typename R>
struct EnumAccess {
    std::string_view (*get)(const R&);
    bool (*set)(R&, std::string_view);  // false when the name is not a value
    std::string_view choices;           // "SIP, IAX2, ..." for messages
};

template <typename R>
using Member = std::variant<std::string R::*, bool R::*, int R::*, int64_t R::*, EnumAccess<R>>;

template <typename R>
struct Field {
    std::string_view json;    // API name ("" when the API never sees it)
    std::string_view column;  // column of the record's own SQL table, "" when it lives elsewhere
    std::string_view joined;  // SQL expression that reads it when it lives elsewhere
    std::string_view csv;     // inventory CSV column, "" when not in the file
    std::string_view alias;   // another accepted CSV header, "" when none
    FieldKind kind = FieldKind::kText;
    Access access = Access::kEditable;
    Secrecy secrecy = Secrecy::kPlain;
    Rule rule = Rule::kNone;
    int64_t limit = 0;  // kText/kDialable: length; kInt: largest value
    bool required = false;
    unsigned flags = 0;
    Member<R> member;

    // Builder steps, so a row reads as one line.
    constexpr Field& noCsv() { csv = {}; return *this; }
    constexpr Field& noJson() { json = {}; return *this; }
    constexpr Field& csvAs(std::string_view name, std::string_view also = {}) { csv = name; alias = also; return *this; }
    constexpr Field& joinedAs(std::string_view sql) { column = {}; joined = sql; return *this; }
    constexpr Field& notStored() { column = {}; return *this; }
    constexpr Field& columnIs(std::string_view name) { column = name; return *this; }
    constexpr Field& kindIs(FieldKind k) { kind = k; return *this; }
    constexpr Field& setBy(Access a) { access = a; if (a != Access::kEditable && a != Access::kKey) csv = {}; return *this; }
    constexpr Field& secrecyIs(Secrecy s) { secrecy = s; return *this; }
    constexpr Field& text(int64_t max, bool is_required = false) { rule = Rule::kText; limit = max; required = is_required; return *this; }
    constexpr Field& dialable(int64_t max) { rule = Rule::kDialable; limit = max; flags |= kCsvTrim; return *this; }
    constexpr Field& upTo(int64_t max) { limit = max; return *this; }
    constexpr Field& with(unsigned f) { flags |= f; return *this; }
    bool has(unsigned f) const { return (flags & f) != 0; }
    bool editable() const { return access == Access::kEditable || access == Access::kKey; }
};

template <typename R>
using FieldTable = std::vector<Field<R>>;

// A row named `name` in JSON, SQL and CSV alike; the kind follows the member.
template <typename R, typename M>
Field<R> field(std::string_view name, M R::*member) {
    Field<R> f;
    f.json = f.column = f.csv = name;
    f.member = member;
    if constexpr (std::is_same_v<M, bool>) f.kind = FieldKind::kBool;
    if constexpr (std::is_same_v<M, int> || std::is_same_v<M, int64_t>) f.kind = FieldKind::kInt;
    return f;
}

template <typename R>
Field<R> field(std::string_view name, EnumAccess<R> access) {
    Field<R> f;
    f.json = f.column = f.csv = name;
    f.member = access;
    f.kind = FieldKind::kEnum;
    return f;
}

const FieldTable<Extension>& extensionFields();
const FieldTable<Device>& deviceFields();

template <typename R>
const Field<R>* findField(const FieldTable<R>& table, std::string_view json) {
    for (const auto& f : table) {
        if (!json.empty() && f.json == json) return &f;
    }
    return nullptr;
}

// Typed access to a field's member. The caller picks by f.kind.
template <typename R>
const std::string& textOf(const Field<R>& f, const R& r) { return r.*std::get<std::string R::*>(f.member); }
template <typename R>
std::string& textOf(const Field<R>& f, R& r) { return r.*std::get<std::string R::*>(f.member); }
template <typename R>
bool boolOf(const Field<R>& f, const R& r) { return r.*std::get<bool R::*>(f.member); }
template <typename R>
void setBool(const Field<R>& f, R& r, bool v) { r.*std::get<bool R::*>(f.member) = v; }
template <typename R>
int64_t intOf(const Field<R>& f, const R& r) {
    if (auto m = std::get_if<int R::*>(&f.member)) return r.**m;
    return r.*std::get<int64_t R::*>(f.member);
}
template <typename R>
void setInt(const Field<R>& f, R& r, int64_t v) {
    if (auto m = std::get_if<int R::*>(&f.member)) {
        r.**m = static_cast<int>(v);
    } else {
        r.*std::get<int64_t R::*>(f.member) = v;
    }
}
template <typename R>
std::string_view enumOf(const Field<R>& f, const R& r) { return std::get<EnumAccess<R>>(f.member).get(r); }
template <typename R>
bool setEnum(const Field<R>& f, R& r, std::string_view v) { return std::get<EnumAccess<R>>(f.member).set(r, v); }
template <typename R>
std::string_view enumChoices(const Field<R>& f) { return std::get<EnumAccess<R>>(f.member).choices; }

// True when `a` and `b` hold the same value of `f`.
template <typename R>
bool sameValue(const Field<R>& f, const R& a, const R& b) {
    if (f.kind == FieldKind::kEnum) return enumOf(f, a) == enumOf(f, b);
    return std::visit(
        [&](auto m) {
            if constexpr (std::is_member_object_pointer_v<decltype(m)>) {
                return a.*m == b.*m;
            } else {
                return false;
            }
        },
        f.member);
}

// Sets `to`'s value of `f` to `from`'s.
template <typename R>
void copyValue(const Field<R>& f, const R& from, R& to) {
    if (f.kind == FieldKind::kEnum) {
        setEnum(f, to, enumOf(f, from));
        return;
    }
    std::visit(
        [&](auto m) {
            if constexpr (std::is_member_object_pointer_v<decltype(m)>) to.*m = from.*m;
        },
        f.member);
}

// The "did anything change" check: every field an admin sets that the
// record's own table stores.
template <typename R>
bool sameEditable(const FieldTable<R>& table, const R& a, const R& b) {
    for (const auto& f : table) {
        if (f.editable() && !f.column.empty() && !sameValue(f, a, b)) return false;
    }
    return true;
}

}  // namespace prov
