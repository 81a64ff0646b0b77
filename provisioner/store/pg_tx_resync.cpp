// PgTx: the resync queue on devices and the pushes made (migration 12).
// A device's resync state moves on its own column, never its version: the
// server moves it, not an admin.

#include "provisioner/store/field_sql.h"
#include "provisioner/store/pg_query.h"
#include "provisioner/store/pg_tx.h"

namespace prov::pg {

namespace {

void bindTime(Stmt& s, int i, int64_t t) {
    if (t) {
        s.bind(i, t);
    } else {
        s.bindNull(i);
    }
}

}  // namespace

Result<int64_t> PgTx::queueStaleResyncs(int64_t at, int64_t retry_before) {
    // A stale device that is refetched or applied was edited again since its
    // last push's fetch: at once, its tries counted from none. One still
    // pushed never fetched; one failed was not reached: again only after a
    // while, and only kMaxResyncTries times in all. One that gave up waits
    // for a registration or an admin's request (queueResync).
    Stmt s(conn_,
           "UPDATE devices SET resync = 'queued', resync_at = ?1,"
           " resync_tries = CASE WHEN resync IN ('', 'applied', 'refetched') THEN 0 ELSE resync_tries END"
           " WHERE state = 'stale' AND (resync IN ('', 'applied', 'refetched')"
           " OR (resync IN ('pushed', 'failed') AND resync_tries < ?3 AND COALESCE(resync_at, 0) <= ?2))");
    s.bind(1, at).bind(2, retry_before).bind(3, kMaxResyncTries);
    TRY(done(s, "queue resyncs"));
    return s.changes();
}

Result<int64_t> PgTx::queueResync(const std::string& mac, const std::string& label,
                                      int64_t at) {
    Stmt s(conn_,
           "UPDATE devices SET resync = 'queued', resync_at = ?1, resync_tries = 0 WHERE state <> 'unassigned'"
           " AND (?2 = '' OR mac = ?2) AND (?2 <> '' OR ?3 = '' OR label = ?3)");
    s.bind(1, at).bind(2, mac).bind(3, label);
    TRY(done(s, "queue resync"));
    return s.changes();
}

Result<std::vector<Device>> PgTx::nextResync(int64_t limit) {
    static const std::string sql =
        "SELECT " + selectList(deviceFields(), "") +
        " FROM devices WHERE resync = 'queued' ORDER BY resync_at, mac LIMIT ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, limit);
    std::vector<Device> out;
    while (s.step()) out.push_back(readRecord(s, deviceFields()));
    if (s.failed()) return failure("resync queue");
    return out;
}

Result<bool> PgTx::claimResync(const std::string& mac, int64_t at) {
    Stmt s(conn_, "UPDATE devices SET resync = 'pushed', resync_at = ? WHERE mac = ? AND resync = 'queued'");
    s.bind(1, at).bind(2, mac);
    TRY(done(s, "claim resync"));
    return s.changes() == 1;
}

Status PgTx::settleResync(const std::string& mac, const std::string& state, int64_t at, int64_t claimed_at) {
    Stmt s(conn_,
           "UPDATE devices SET resync_tries = resync_tries + 1, resync_at = ?2,"
           " resync = CASE WHEN ?1 = 'failed' AND resync_tries + 1 >= ?5 THEN 'gave_up' ELSE ?1 END"
           " WHERE mac = ?3 AND resync = 'pushed' AND resync_at = ?4");
    s.bind(1, state).bind(2, at).bind(3, mac).bind(4, claimed_at).bind(5, kMaxResyncTries);
    return done(s, "settle resync");
}

Result<int64_t> PgTx::queueRegistered(const std::string& mac, int64_t at) {
    Stmt s(conn_,
           "UPDATE devices SET resync = 'queued', resync_at = ?1, resync_tries = 0"
           " WHERE mac = ?2 AND state = 'stale' AND resync IN ('failed', 'gave_up')");
    s.bind(1, at).bind(2, mac);
    TRY(done(s, "queue resync"));
    return s.changes();
}

Status PgTx::setResyncState(const std::string& mac, const std::string& state, int64_t at) {
    Stmt s(conn_, "UPDATE devices SET resync = ?, resync_at = ? WHERE mac = ?");
    s.bind(1, state).bind(2, at).bind(3, mac);
    return done(s, "resync state");
}

Status PgTx::recordPush(ResyncPush& p) {
    if (p.id == 0) {
        Stmt s(conn_,
               "INSERT INTO resync_pushes (mac, extension, route, event, target, queued_at, "
               "sent_at, done_at,"
               " result, status, attempts, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
        s.bind(1, p.mac).bind(2, p.extension).bind(3, p.route).bind(4, p.event).bind(5, p.target);
        s.bind(6, p.queued_at);
        bindTime(s, 7, p.sent_at);
        bindTime(s, 8, p.done_at);
        s.bind(9, p.result);
        bindTime(s, 10, p.status);
        s.bind(11, static_cast<int64_t>(p.attempts)).bind(12, p.detail);
        TRY(done(s, "resync push"));
        p.id = s.integer(0);
        return okStatus();
    }
    Stmt s(conn_,
           "UPDATE resync_pushes SET extension = ?, route = ?, event = ?, target = ?, sent_at = ?, "
           "done_at = ?,"
           " result = ?, status = ?, attempts = ?, detail = ? WHERE id = ?");
    s.bind(1, p.extension).bind(2, p.route).bind(3, p.event).bind(4, p.target);
    bindTime(s, 5, p.sent_at);
    bindTime(s, 6, p.done_at);
    s.bind(7, p.result);
    bindTime(s, 8, p.status);
    s.bind(9, static_cast<int64_t>(p.attempts)).bind(10, p.detail).bind(11, p.id);
    TRY(done(s, "resync push"));
    if (s.changes() != 1)
        return Error::notFound("no resync push " + std::to_string(p.id));
    return okStatus();
}

Result<std::vector<ResyncPush>> PgTx::listPushes(const std::string& mac, int64_t limit) {
    Stmt s(conn_,
           "SELECT id, mac, extension, route, event, target, queued_at, COALESCE(sent_at, 0), "
           "COALESCE(done_at, 0),"
           " result, COALESCE(status, 0), attempts, detail FROM resync_pushes WHERE ?1 = '' OR mac "
           "= ?1"
           " ORDER BY id DESC LIMIT ?2");
    s.bind(1, mac).bind(2, limit);
    std::vector<ResyncPush> out;
    while (s.step()) {
        ResyncPush p;
        p.id = s.integer(0);
        p.mac = s.text(1);
        p.extension = s.text(2);
        p.route = s.text(3);
        p.event = s.text(4);
        p.target = s.text(5);
        p.queued_at = s.integer(6);
        p.sent_at = s.integer(7);
        p.done_at = s.integer(8);
        p.result = s.text(9);
        p.status = static_cast<int>(s.integer(10));
        p.attempts = static_cast<int>(s.integer(11));
        p.detail = s.text(12);
        out.push_back(std::move(p));
    }
    if (s.failed()) return failure("resync pushes");
    return out;
}

}  // namespace prov::pg
