// PgTx: errors, settings, API tokens and the audit log. The other
// records are in pg_tx_*.cpp.

#include "provisioner/store/pg_tx.h"

#include "provisioner/store/pg_query.h"

namespace prov::pg {

Error PgTx::failure(const std::string& what) const {
    // 23505 a unique violation; the rest as pg::failureOf says (a gone
    // server, a lost race, or a bug).
    if (conn_.lastState() == "23505")
        return Error{Code::kAlreadyExists, "duplicate", what + ": already exists", {}, {}};
    return failureOf(conn_, what, false);
}

Status PgTx::done(Stmt& s, const char* what) {
    s.step();
    if (s.failed()) return failure(what);
    return okStatus();
}

Status PgTx::deleteSetting(const std::string& scope, const std::string& key) {
    Stmt s(conn_, "DELETE FROM settings WHERE scope = ? AND key = ?");
    s.bind(1, scope).bind(2, key);
    return done(s, "settings");
}

Result<SettingsMap> PgTx::getSettings(const std::string& scope) {
    Stmt s(conn_, "SELECT key, value FROM settings WHERE scope = ?");
    s.bind(1, scope);
    SettingsMap out;
    while (s.step()) out[s.text(0)] = s.text(1);
    if (s.failed()) return failure("settings");
    return out;
}

Status PgTx::putSettings(const std::string& scope, const SettingsMap& values) {
    for (const auto& [key, value] : values) {
        Stmt s(conn_,
               "INSERT INTO settings (scope, key, value) VALUES (?,?,?)"
               " ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value");
        s.bind(1, scope).bind(2, key).bind(3, value);
        TRY(done(s, "settings"));
    }
    return okStatus();
}

namespace {

// The columns readToken reads, in its order.
#define PROV_TOKEN_COLUMNS                                                                          \
    "id, name, role, token_hash, created_at, COALESCE(expires_at, 0), COALESCE(last_used_at, 0)," \
    " COALESCE(revoked_at, 0)"

ApiToken readToken(const Stmt& s) {
    ApiToken t;
    t.id = s.integer(0);
    t.name = s.text(1);
    t.role = parseRole(s.text(2)).value_or(Role::kViewer);
    t.hash = s.text(3);
    t.created_at = s.integer(4);
    t.expires_at = s.integer(5);
    t.last_used_at = s.integer(6);
    t.revoked_at = s.integer(7);
    return t;
}

}  // namespace

Status PgTx::insertToken(ApiToken& t) {
    Stmt s(conn_, "INSERT INTO api_tokens (name, role, token_hash, created_at, expires_at) VALUES (?,?,?,?,?)"
                  " RETURNING id");
    t.created_at = clock_.nowSeconds();
    s.bind(1, t.name).bind(2, toString(t.role)).bind(3, t.hash).bind(4, t.created_at);
    if (t.expires_at) s.bind(5, t.expires_at); else s.bindNull(5);
    TRY(done(s, "token"));
    t.id = s.integer(0);
    return okStatus();
}

Result<std::optional<ApiToken>> PgTx::findToken(const std::string& hash) {
    Stmt s(conn_, "SELECT " PROV_TOKEN_COLUMNS " FROM api_tokens WHERE token_hash = ?");
    s.bind(1, hash);
    if (s.step()) return std::optional<ApiToken>(readToken(s));
    if (s.failed()) return failure("token");
    return std::optional<ApiToken>();
}

Result<std::vector<ApiToken>> PgTx::listTokens() {
    Stmt s(conn_, "SELECT " PROV_TOKEN_COLUMNS " FROM api_tokens ORDER BY id");
    std::vector<ApiToken> out;
    while (s.step()) out.push_back(readToken(s));
    if (s.failed()) return failure("tokens");
    return out;
}

Result<int64_t> PgTx::countTokens() {
    Stmt s(conn_, "SELECT COUNT(*) FROM api_tokens");
    if (!s.step()) return failure("tokens");
    return s.integer(0);
}

Status PgTx::revokeToken(int64_t id, int64_t at) {
    Stmt s(conn_, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    s.bind(1, at).bind(2, id);
    return done(s, "token");
}

Status PgTx::tokenUsed(int64_t id, int64_t at) {
    Stmt s(conn_, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
    s.bind(1, at).bind(2, id);
    return done(s, "token");
}

Status PgTx::insertAudit(AuditEntry& a) {
    Stmt s(conn_,
           "INSERT INTO audit (at, actor, action, entity, entity_id, before, after, source)"
           " VALUES (?,?,?,?,?,?,?,?) RETURNING id");
    a.at = clock_.nowSeconds();
    s.bind(1, a.at).bind(2, a.actor).bind(3, a.action).bind(4, a.entity).bind(5, a.entity_id);
    s.bindOptional(6, a.before).bindOptional(7, a.after).bind(8, a.source);
    TRY(done(s, "audit"));
    a.id = s.integer(0);
    return okStatus();
}

Result<Listing<AuditEntry>> PgTx::listAudit(const AuditFilter& f, Page page) {
    Where w;
    if (!f.entity.empty()) w.add("entity = ?", f.entity);
    if (!f.entity_id.empty()) w.add("entity_id = ?", f.entity_id);
    if (f.since) w.addInt("at >= ?", f.since);
    Listing<AuditEntry> out;
    out.total = TRY(countWhere(conn_, "audit", w));
    Stmt s(conn_, "SELECT id, at, actor, action, entity, entity_id, COALESCE(before, ''),"
                  " COALESCE(after, ''), source FROM audit" + w.sql + " ORDER BY id DESC" + pageClause(page));
    w.bind(s);
    while (s.step()) {
        out.items.push_back(AuditEntry{s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4),
                                       s.text(5), s.text(6), s.text(7), s.text(8)});
    }
    if (s.failed()) return failure("audit");
    return out;
}

}  // namespace prov::pg
