// PgTx: portal users, their sessions and the sign-in throttle.

#include "provisioner/store/pg_tx.h"

namespace prov::pg {

namespace {

// The columns readUser reads, in its order.
#define PROV_USER_COLUMNS \
    "id, name, role, password_hash, disabled, created_at, COALESCE(last_sign_in_at, 0)"

PortalUser readUser(const Stmt& s) {
    PortalUser u;
    u.id = s.integer(0);
    u.name = s.text(1);
    u.role = parseRole(s.text(2)).value_or(Role::kViewer);
    u.password_hash = s.text(3);
    u.disabled = s.integer(4) != 0;
    u.created_at = s.integer(5);
    u.last_sign_in_at = s.integer(6);
    return u;
}

#define PROV_SESSION_COLUMNS "id, session_hash, user_id, created_at, last_seen_at, expires_at, source"

PortalSession readSession(const Stmt& s) {
    return PortalSession{s.integer(0), s.text(1), s.integer(2), s.integer(3), s.integer(4), s.integer(5), s.text(6)};
}

}  // namespace

Status PgTx::insertUser(PortalUser& u) {
    Stmt s(conn_, "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?,?,?,?,?)"
                  " RETURNING id");
    u.created_at = clock_.nowSeconds();
    s.bind(1, u.name).bind(2, toString(u.role)).bind(3, u.password_hash);
    s.bind(4, int64_t{u.disabled ? 1 : 0}).bind(5, u.created_at);
    TRY(done(s, "user"));
    u.id = s.integer(0);
    return okStatus();
}

Result<std::optional<PortalUser>> PgTx::getUser(const std::string& name) {
    Stmt s(conn_, "SELECT " PROV_USER_COLUMNS " FROM users WHERE name = ?");
    s.bind(1, name);
    if (s.step()) return std::optional<PortalUser>(readUser(s));
    if (s.failed()) return failure("user");
    return std::optional<PortalUser>();
}

Result<std::optional<PortalUser>> PgTx::getUserById(int64_t id) {
    Stmt s(conn_, "SELECT " PROV_USER_COLUMNS " FROM users WHERE id = ?");
    s.bind(1, id);
    if (s.step()) return std::optional<PortalUser>(readUser(s));
    if (s.failed()) return failure("user");
    return std::optional<PortalUser>();
}

Result<std::vector<PortalUser>> PgTx::listUsers() {
    Stmt s(conn_, "SELECT " PROV_USER_COLUMNS " FROM users ORDER BY name");
    std::vector<PortalUser> out;
    while (s.step()) out.push_back(readUser(s));
    if (s.failed()) return failure("users");
    return out;
}

Status PgTx::updateUser(const PortalUser& u) {
    Stmt s(conn_,
           "UPDATE users SET role = ?, password_hash = ?, disabled = ?, last_sign_in_at = NULLIF(?, 0)"
           " WHERE id = ?");
    s.bind(1, toString(u.role)).bind(2, u.password_hash).bind(3, int64_t{u.disabled ? 1 : 0});
    s.bind(4, u.last_sign_in_at).bind(5, u.id);
    return done(s, "user");
}

Status PgTx::deleteUser(int64_t id) {
    // API tokens may name their user (migration 1); they outlive it.
    Stmt t(conn_, "UPDATE api_tokens SET user_id = NULL WHERE user_id = ?");
    t.bind(1, id);
    TRY(done(t, "user"));
    Stmt s(conn_, "DELETE FROM users WHERE id = ?");
    s.bind(1, id);
    return done(s, "user");
}

Status PgTx::insertSession(PortalSession& p) {
    Stmt s(conn_,
           "INSERT INTO sessions (session_hash, user_id, created_at, last_seen_at, expires_at, source)"
           " VALUES (?,?,?,?,?,?) RETURNING id");
    s.bind(1, p.hash).bind(2, p.user_id).bind(3, p.created_at).bind(4, p.last_seen_at).bind(5, p.expires_at);
    s.bind(6, p.source);
    TRY(done(s, "session"));
    p.id = s.integer(0);
    return okStatus();
}

Result<std::optional<PortalSession>> PgTx::findSession(const std::string& hash) {
    Stmt s(conn_, "SELECT " PROV_SESSION_COLUMNS " FROM sessions WHERE session_hash = ?");
    s.bind(1, hash);
    if (s.step()) return std::optional<PortalSession>(readSession(s));
    if (s.failed()) return failure("session");
    return std::optional<PortalSession>();
}

Status PgTx::sessionSeen(int64_t id, int64_t at) {
    Stmt s(conn_, "UPDATE sessions SET last_seen_at = ? WHERE id = ?");
    s.bind(1, at).bind(2, id);
    return done(s, "session");
}

Status PgTx::deleteSession(int64_t id) {
    Stmt s(conn_, "DELETE FROM sessions WHERE id = ?");
    s.bind(1, id);
    return done(s, "session");
}

Result<int64_t> PgTx::deleteUserSessions(int64_t user_id) {
    Stmt s(conn_, "DELETE FROM sessions WHERE user_id = ?");
    s.bind(1, user_id);
    TRY(done(s, "sessions"));
    return s.changes();
}

Result<int64_t> PgTx::purgeSessions(int64_t now, int64_t idle_before) {
    Stmt s(conn_, "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?");
    s.bind(1, now).bind(2, idle_before);
    TRY(done(s, "sessions"));
    return s.changes();
}

Result<std::optional<SignInThrottle>> PgTx::getThrottle(const std::string& key) {
    Stmt s(conn_,
           "SELECT key, failures, window_start, last_failure_at, blocked_until, blocks FROM sign_in_throttle"
           " WHERE key = ?");
    s.bind(1, key);
    if (s.step()) {
        return std::optional<SignInThrottle>(
            SignInThrottle{s.text(0), s.integer(1), s.integer(2), s.integer(3), s.integer(4), s.integer(5)});
    }
    if (s.failed()) return failure("sign-in throttle");
    return std::optional<SignInThrottle>();
}

Status PgTx::putThrottle(const SignInThrottle& t) {
    Stmt s(conn_,
           "INSERT INTO sign_in_throttle (key, failures, window_start, last_failure_at, blocked_until, blocks)"
           " VALUES (?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
           " window_start = excluded.window_start, last_failure_at = excluded.last_failure_at,"
           " blocked_until = excluded.blocked_until, blocks = excluded.blocks");
    s.bind(1, t.key).bind(2, t.failures).bind(3, t.window_start).bind(4, t.last_failure_at);
    s.bind(5, t.blocked_until).bind(6, t.blocks);
    return done(s, "sign-in throttle");
}

Result<bool> PgTx::deleteThrottle(const std::string& key) {
    Stmt s(conn_, "DELETE FROM sign_in_throttle WHERE key = ?");
    s.bind(1, key);
    TRY(done(s, "sign-in throttle"));
    return s.changes() > 0;
}

Result<int64_t> PgTx::purgeThrottles(int64_t ended_at, int64_t limit) {
    // DELETE takes no LIMIT: the keys are picked first.
    Stmt s(conn_,
           "DELETE FROM sign_in_throttle WHERE key IN (SELECT key FROM sign_in_throttle"
           " WHERE GREATEST(last_failure_at, blocked_until) <= ? LIMIT ?)");
    s.bind(1, ended_at).bind(2, limit);
    TRY(done(s, "sign-in throttle"));
    return s.changes();
}

}  // namespace prov::pg
