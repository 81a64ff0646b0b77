// SqliteTx: the device inventory and what staging records on it. The
// columns come from deviceFields() (model/fields.h).

#include "provisioner/store/field_sql.h"
#include "provisioner/store/list_order.h"
#include "provisioner/store/sqlite_query.h"
#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

namespace {

std::string selectDevices(const std::string& tail) {
    return "SELECT " + selectList(deviceFields(), "") + " FROM devices" + tail;
}

}  // namespace

Result<std::optional<Device>> SqliteTx::getDevice(const std::string& mac) {
    static const std::string sql = selectDevices(" WHERE mac = ?");
    Stmt s(conn_, sql.c_str());
    s.bind(1, mac);
    if (s.step()) return std::optional<Device>(readRecord(s, deviceFields()));
    if (s.failed()) return failure("read device");
    return std::optional<Device>();
}

Result<Listing<Device>> SqliteTx::listDevices(const DeviceFilter& f, Page page) {
    const std::optional<std::string> order = deviceOrderBy(f.order);
    if (!order) return Error::invalid("bad sort", {{"sort", "is not a field devices sort by"}});
    Where w;
    if (f.state) w.add("state = ?", std::string(toString(*f.state)));
    if (!f.make.empty()) w.add("make = ? COLLATE NOCASE", f.make);
    if (!f.model.empty()) w.add("model = ? COLLATE NOCASE", f.model);
    if (!f.label.empty()) w.add("label = ?", f.label);
    if (!f.q.empty()) {
        const std::string pattern = containsPattern(f.q);
        const int n = w.next();  // ?NNN of the pattern: after the filters above
        const std::string p = "?" + std::to_string(n);
        std::string cond = "(make LIKE " + p + " ESCAPE '\\' OR model LIKE " + p + " ESCAPE '\\' OR label LIKE " + p +
                           " ESCAPE '\\' OR serial LIKE " + p + " ESCAPE '\\' OR last_seen_ip LIKE " + p +
                           " ESCAPE '\\' OR last_firmware LIKE " + p + " ESCAPE '\\'";
        const std::string mac = macFragment(f.q);
        if (!mac.empty()) cond += " OR mac LIKE '%" + mac + "%'";  // hex digits only
        cond += ")";
        w.add(cond, pattern);
    }
    Listing<Device> out;
    out.total = TRY(countWhere(conn_, "devices", w));
    Stmt s(conn_, selectDevices(w.sql + *order + pageClause(page)));
    w.bind(s);
    while (s.step()) out.items.push_back(readRecord(s, deviceFields()));
    if (s.failed()) return failure("list devices");
    return out;
}

Status SqliteTx::insertDevice(Device& d) {
    static const auto kFields = writtenBy(deviceFields(), {Access::kKey, Access::kEditable});
    static const std::string sql = "INSERT INTO devices (" + columnList(kFields) +
                                   ", origin, created_at, updated_at, version) VALUES (" +
                                   placeholders(kFields.size() + 3) + ",1)";
    Stmt s(conn_, sql.c_str());
    const int64_t now = clock_.nowSeconds();
    const int i = bindFields(s, kFields, d, 1);
    s.bind(i, d.origin).bind(i + 1, now).bind(i + 2, now);
    TRY(done(s, "device"));
    // Back in the inventory: it gets its own config again, not a wipe. (A
    // phone discovered by its fetches, unassigned, still has one coming.)
    if (d.state != DeviceState::kUnassigned) {
        Stmt drop(conn_, "DELETE FROM pending_wipes WHERE mac = ?");
        drop.bind(1, d.mac);
        TRY(done(drop, "pending wipe"));
    }
    d.created_at = d.updated_at = now;
    d.version = 1;
    return okStatus();
}

// The admin's fields only: what a phone's fetch records (last seen, first
// seen) is touchDevice's, and is never written back from a stale read.
Status SqliteTx::updateDevice(Device& d) {
    static const auto kFields = writtenBy(deviceFields(), {Access::kEditable});
    static const auto kKeys = writtenBy(deviceFields(), {Access::kKey});
    static const std::string sql = "UPDATE devices SET " + columnList(kFields, "=?") +
                                   ", origin=?, updated_at=?, version=version+1 WHERE " + columnList(kKeys, "=?") +
                                   " AND version=?";
    Stmt s(conn_, sql.c_str());
    const int64_t now = clock_.nowSeconds();
    int i = bindFields(s, kFields, d, 1);
    s.bind(i, d.origin).bind(i + 1, now);
    i = bindFields(s, kKeys, d, i + 2);
    s.bind(i, d.version);
    TRY(done(s, "device"));
    if (sqlite3_changes(conn_.handle()) != 1)
        return Error::conflict("version_conflict", "the device was changed by someone else");
    d.updated_at = now;
    ++d.version;
    return okStatus();
}

Status SqliteTx::deleteDevice(const std::string& mac) {
    TRY(deleteCredentials(mac));  // and the staging windows it used
    {
        Stmt s(conn_, "DELETE FROM settings WHERE scope = ?");
        s.bind(1, mac);
        TRY(done(s, "delete device settings"));
    }
    Stmt s(conn_, "DELETE FROM devices WHERE mac = ?");
    s.bind(1, mac);
    return done(s, "delete device");
}

Result<int64_t> SqliteTx::purgeWipes() {
    const int64_t now = clock_.nowSeconds();
    Stmt purge(conn_, "DELETE FROM pending_wipes WHERE (delivered_at != 0 AND delivered_at < ?) OR deleted_at < ?");
    purge.bind(1, now - kWipeGraceSeconds).bind(2, now - kWipeExpirySeconds);
    TRY(done(purge, "old pending wipes"));
    return static_cast<int64_t>(sqlite3_changes(conn_.handle()));
}

Status SqliteTx::putWipe(const PendingWipe& w) {
    // Old rows are dropped as new ones come too (and hourly by `serve`).
    TRY(purgeWipes());
    const DeviceCredentials& c = w.credentials;
    Stmt s(conn_,
           "INSERT OR REPLACE INTO pending_wipes (mac, make, model, user, password, aes_key, key_sent, deleted_at,"
           " delivered_at, prev_user, prev_password, prev_aes_key, creds_created_at, creds_delivered_at,"
           " creds_used_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, w.mac).bind(2, w.make).bind(3, w.model).bind(4, c.user).bind(5, c.password).bind(6, c.aes_key);
    s.bind(7, c.key_sent_at).bind(8, w.deleted_at).bind(9, w.delivered_at).bind(10, c.prev_user);
    s.bind(11, c.prev_password).bind(12, c.prev_aes_key).bind(13, c.created_at).bind(14, c.delivered_at);
    s.bind(15, c.used_at);
    return done(s, "pending wipe");
}

// A wipe past its grace period or its expiry (records.h) is no longer in
// force: the MAC is unknown again, whatever row is left.
Result<std::optional<PendingWipe>> SqliteTx::getWipe(const std::string& mac) {
    const int64_t now = clock_.nowSeconds();
    Stmt s(conn_,
           "SELECT mac, make, model, user, password, aes_key, key_sent, deleted_at, delivered_at, prev_user,"
           " prev_password, prev_aes_key, creds_created_at, creds_delivered_at, creds_used_at FROM pending_wipes"
           " WHERE mac = ? AND (delivered_at = 0 OR delivered_at >= ?) AND deleted_at >= ?");
    s.bind(1, mac).bind(2, now - kWipeGraceSeconds).bind(3, now - kWipeExpirySeconds);
    if (!s.step()) {
        if (s.failed()) return failure("pending wipe");
        return std::optional<PendingWipe>();
    }
    PendingWipe w;
    DeviceCredentials& c = w.credentials;
    w.mac = c.mac = s.text(0);
    w.make = s.text(1);
    w.model = s.text(2);
    c.user = s.text(3);
    c.password = s.text(4);
    c.aes_key = s.text(5);
    c.key_sent_at = s.integer(6);
    w.deleted_at = s.integer(7);
    w.delivered_at = s.integer(8);
    c.prev_user = s.text(9);
    c.prev_password = s.text(10);
    c.prev_aes_key = s.text(11);
    c.created_at = s.integer(12);
    c.delivered_at = s.integer(13);
    c.used_at = s.integer(14);
    return std::optional<PendingWipe>(std::move(w));
}

// True for the first delivery only; later ones (in the grace period) find it
// already counted.
Result<bool> SqliteTx::wipeDelivered(const std::string& mac) {
    Stmt s(conn_, "UPDATE pending_wipes SET delivered_at = ? WHERE mac = ? AND delivered_at = 0");
    s.bind(1, clock_.nowSeconds()).bind(2, mac);
    TRY(done(s, "wipe delivered"));
    return sqlite3_changes(conn_.handle()) == 1;
}

Result<bool> SqliteTx::touchDevice(const std::string& mac, int64_t at, const std::string& ip,
                                   const std::string& ua, const std::string& firmware, const std::string& file,
                                   const std::string& hash, bool served) {
    // A fetch older than the one last recorded (a spool replayed after
    // the store came back, behind fetches stored directly) leaves the last_*
    // fields to the newer one. Every right-hand side reads the row as it was.
    Stmt s(conn_,
           "UPDATE devices SET"
           " last_seen_at=CASE WHEN last_seen_at IS NULL OR last_seen_at <= ?1 THEN ?1 ELSE last_seen_at END,"
           " first_seen_at=COALESCE(first_seen_at, ?1),"
           " last_seen_ip=CASE WHEN last_seen_at IS NULL OR last_seen_at <= ?1 THEN ?2 ELSE last_seen_ip END,"
           " last_seen_ua=CASE WHEN last_seen_at IS NULL OR last_seen_at <= ?1 THEN ?3 ELSE last_seen_ua END,"
           " last_firmware=CASE WHEN ?4 <> '' AND (last_seen_at IS NULL OR last_seen_at <= ?1) THEN ?4"
           " ELSE last_firmware END,"
           " last_file=CASE WHEN ?5 <> 0 AND (last_seen_at IS NULL OR last_seen_at <= ?1) THEN ?6"
           " ELSE last_file END,"
           " last_hash=CASE WHEN ?5 <> 0 AND (last_seen_at IS NULL OR last_seen_at <= ?1) THEN ?7"
           " ELSE last_hash END WHERE mac=?8");
    s.bind(1, at).bind(2, ip).bind(3, ua).bind(4, firmware);
    s.bind(5, static_cast<int64_t>(served)).bind(6, file).bind(7, hash).bind(8, mac);
    TRY(done(s, "touch device"));
    return sqlite3_changes(conn_.handle()) == 1;
}

Status SqliteTx::setDeviceState(const std::string& mac, DeviceState state) {
    Stmt s(conn_, "UPDATE devices SET state = ? WHERE mac = ?");
    s.bind(1, toString(state)).bind(2, mac);
    return done(s, "device state");
}

Status SqliteTx::markStale(const std::string& mac) {
    // Two statements: one with "mac = ?" alone uses the primary key.
    if (mac.empty()) {
        Stmt all(conn_, "UPDATE devices SET state = 'stale' WHERE state IN ('provisioned','applied')");
        return done(all, "mark stale");
    }
    Stmt s(conn_, "UPDATE devices SET state = 'stale' WHERE mac = ? AND state IN ('provisioned','applied')");
    s.bind(1, mac);
    return done(s, "mark stale");
}

Result<std::optional<std::string>> SqliteTx::servedHash(const std::string& mac, const std::string& file) {
    Stmt s(conn_, "SELECT hash FROM served_configs WHERE mac = ? AND file = ?");
    s.bind(1, mac).bind(2, file);
    if (s.step()) return std::optional<std::string>(s.text(0));
    if (s.failed()) return failure("served config");
    return std::optional<std::string>();
}

Status SqliteTx::putServedHash(const std::string& mac, const std::string& file, const std::string& hash, int64_t at) {
    Stmt s(conn_,
           "INSERT INTO served_configs (mac, file, hash, at) VALUES (?,?,?,?)"
           " ON CONFLICT (mac, file) DO UPDATE SET hash = excluded.hash, at = excluded.at");
    s.bind(1, mac).bind(2, file).bind(3, hash).bind(4, at);
    return done(s, "served config");
}

}  // namespace prov::sqlite
