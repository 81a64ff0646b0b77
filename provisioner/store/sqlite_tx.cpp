// SqliteTx: errors, settings, API tokens and the audit log. The other
// records are in sqlite_tx_*.cpp.

#include "provisioner/store/sqlite_tx.h"

#include "provisioner/store/sqlite_query.h"

namespace prov::sqlite {

Error SqliteTx::failure(const std::string& what) const {
    const int rc = sqlite3_extended_errcode(conn_.handle());
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return Error{Code::kAlreadyExists, "duplicate", what + ": already exists", {}, {}};
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return Error{Code::kUnavailable, "store_busy", "the store is busy; try again", {}, {}};
    return Error::internal("store: " + what + ": " + conn_.lastError());
}

Status SqliteTx::done(Stmt& s, const char* what) {
    s.step();
    if (s.failed()) return failure(what);
    return okStatus();
}

Status SqliteTx::deleteSetting(const std::string& scope, const std::string& key) {
    Stmt s(conn_, "DELETE FROM settings WHERE scope = ? AND key = ?");
    s.bind(1, scope).bind(2, key);
    return done(s, "settings");
}

Result<SettingsMap> SqliteTx::getSettings(const std::string& scope) {
    Stmt s(conn_, "SELECT key, value FROM settings WHERE scope = ?");
    s.bind(1, scope);
    SettingsMap out;
    while (s.step()) out[s.text(0)] = s.text(1);
    if (s.failed()) return failure("settings");
    return out;
}

Status SqliteTx::putSettings(const std::string& scope, const SettingsMap& values) {
    for (const auto& [key, value] : values) {
        Stmt s(conn_,
               "INSERT INTO settings (scope, key, value) VALUES (?,?,?)"
               " ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value");
        s.bind(1, scope).bind(2, key).bind(3, value);
        TRY(done(s, "settings"));
    }
    return okStatus();
}

Status SqliteTx::insertToken(ApiToken& t) {
    Stmt s(conn_, "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?,?,?,?)");
    t.created_at = clock_.nowSeconds();
    s.bind(1, t.name).bind(2, toString(t.role)).bind(3, t.hash).bind(4, t.created_at);
    TRY(done(s, "token"));
    t.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<std::optional<ApiToken>> SqliteTx::findToken(const std::string& hash) {
    Stmt s(conn_, "SELECT id, name, role, token_hash, created_at FROM api_tokens WHERE token_hash = ?");
    s.bind(1, hash);
    if (s.step()) {
        return std::optional<ApiToken>(ApiToken{s.integer(0), s.text(1),
                                                parseRole(s.text(2)).value_or(Role::kViewer),
                                                s.text(3), s.integer(4)});
    }
    if (s.failed()) return failure("token");
    return std::optional<ApiToken>();
}

Result<int64_t> SqliteTx::countTokens() {
    Stmt s(conn_, "SELECT COUNT(*) FROM api_tokens");
    if (!s.step()) return failure("tokens");
    return s.integer(0);
}

Status SqliteTx::insertAudit(AuditEntry& a) {
    Stmt s(conn_,
           "INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?,?,?,?,?,?,?)");
    a.at = clock_.nowSeconds();
    s.bind(1, a.at).bind(2, a.actor).bind(3, a.action).bind(4, a.entity).bind(5, a.entity_id);
    s.bindOptional(6, a.before).bindOptional(7, a.after);
    TRY(done(s, "audit"));
    a.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<Listing<AuditEntry>> SqliteTx::listAudit(const AuditFilter& f, Page page) {
    Where w;
    if (!f.entity.empty()) w.add("entity = ?", f.entity);
    if (!f.entity_id.empty()) w.add("entity_id = ?", f.entity_id);
    if (f.since) w.addInt("at >= ?", f.since);
    Listing<AuditEntry> out;
    out.total = TRY(countWhere(conn_, "audit", w));
    Stmt s(conn_, "SELECT id, at, actor, action, entity, entity_id, COALESCE(before, ''),"
                  " COALESCE(after, '') FROM audit" + w.sql + " ORDER BY id DESC" + pageClause(page));
    w.bind(s);
    while (s.step()) {
        out.items.push_back(AuditEntry{s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4),
                                       s.text(5), s.text(6), s.text(7)});
    }
    if (s.failed()) return failure("audit");
    return out;
}

}  // namespace prov::sqlite
