// SqliteTx: what phones prove themselves with: device credentials, staging
// windows and their uses, and the server's own keys.

#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

namespace {

constexpr const char* kWindowColumns =
    "w.id, w.label, w.macs, w.max_devices, w.actor, w.role, w.opened_at, w.closes_at, w.closed_at,"
    " (SELECT COUNT(*) FROM staging_window_uses u WHERE u.window_id = w.id)";

StagingWindow readWindow(const Stmt& s) {
    StagingWindow w;
    w.id = s.integer(0);
    w.label = s.text(1);
    const std::string macs = s.text(2);
    for (size_t start = 0; start < macs.size();) {
        size_t comma = macs.find(',', start);
        if (comma == std::string::npos) comma = macs.size();
        if (comma > start) w.macs.push_back(macs.substr(start, comma - start));
        start = comma + 1;
    }
    w.max_devices = s.integer(3);
    w.actor = s.text(4);
    w.role = parseRole(s.text(5)).value_or(Role::kInstaller);
    w.opened_at = s.integer(6);
    w.closes_at = s.integer(7);
    w.closed_at = s.isNull(8) ? 0 : s.integer(8);
    w.used = s.integer(9);
    return w;
}

std::string joinMacs(const std::vector<std::string>& macs) {
    std::string out;
    for (const std::string& m : macs) out += (out.empty() ? "" : ",") + m;
    return out;
}

}  // namespace

namespace {

constexpr const char* kCredentialColumns =
    "mac, user, password, prev_user, prev_password, aes_key, prev_aes_key, created_at, delivered_at, used_at,"
    " key_sent_at";

DeviceCredentials readCredentials(const Stmt& s) {
    auto time = [&](int col) { return s.isNull(col) ? int64_t{0} : s.integer(col); };
    DeviceCredentials c;
    c.mac = s.text(0);
    c.user = s.text(1);
    c.password = s.text(2);
    c.prev_user = s.text(3);
    c.prev_password = s.text(4);
    c.aes_key = s.text(5);
    c.prev_aes_key = s.text(6);
    c.created_at = s.integer(7);
    c.delivered_at = time(8);
    c.used_at = time(9);
    c.key_sent_at = time(10);
    return c;
}

}  // namespace

Result<std::optional<DeviceCredentials>> SqliteTx::getCredentials(const std::string& mac) {
    static const std::string sql = std::string("SELECT ") + kCredentialColumns + " FROM device_credentials WHERE mac = ?";
    Stmt s(conn_, sql.c_str());  // prepared once per connection
    s.bind(1, mac);
    if (s.step()) return std::optional<DeviceCredentials>(readCredentials(s));
    if (s.failed()) return failure("read device credentials");
    return std::optional<DeviceCredentials>();
}

Result<std::optional<DeviceCredentials>> SqliteTx::credentialsOfUser(const std::string& user) {
    static const std::string sql = std::string("SELECT ") + kCredentialColumns +
                                   " FROM device_credentials WHERE user = ?1 OR (prev_user <> '' AND prev_user = ?1) LIMIT 1";
    Stmt s(conn_, sql.c_str());  // prepared once per connection
    s.bind(1, user);
    if (s.step()) return std::optional<DeviceCredentials>(readCredentials(s));
    if (s.failed()) return failure("read device credentials");
    return std::optional<DeviceCredentials>();
}

Status SqliteTx::deleteCredentials(const std::string& mac) {
    {
        // Windows it used may let it in again (re-enrolment).
        Stmt s(conn_, "DELETE FROM staging_window_uses WHERE mac = ?");
        s.bind(1, mac);
        TRY(done(s, "delete staging window uses"));
    }
    Stmt s(conn_, "DELETE FROM device_credentials WHERE mac = ?");
    s.bind(1, mac);
    return done(s, "delete device credentials");
}

Status SqliteTx::credentialsDelivered(const std::string& mac, int64_t at) {
    Stmt s(conn_, "UPDATE device_credentials SET delivered_at = COALESCE(delivered_at, ?) WHERE mac = ?");
    s.bind(1, at).bind(2, mac);
    return done(s, "device credentials delivered");
}

Status SqliteTx::putCredentials(const DeviceCredentials& c) {
    Stmt s(conn_,
           "INSERT INTO device_credentials (mac, user, password, prev_user, prev_password, aes_key, prev_aes_key,"
           " created_at, delivered_at, used_at, key_sent_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
           " ON CONFLICT(mac) DO UPDATE SET user=excluded.user, password=excluded.password,"
           " prev_user=excluded.prev_user, prev_password=excluded.prev_password, aes_key=excluded.aes_key,"
           " prev_aes_key=excluded.prev_aes_key, created_at=excluded.created_at, delivered_at=excluded.delivered_at,"
           " used_at=excluded.used_at, key_sent_at=excluded.key_sent_at");
    s.bind(1, c.mac).bind(2, c.user).bind(3, c.password).bind(4, c.prev_user).bind(5, c.prev_password);
    s.bind(6, c.aes_key).bind(7, c.prev_aes_key).bind(8, c.created_at);
    auto time = [&](int i, int64_t v) {
        if (v) s.bind(i, v); else s.bindNull(i);
    };
    time(9, c.delivered_at);
    time(10, c.used_at);
    time(11, c.key_sent_at);
    return done(s, "device credentials");
}

Status SqliteTx::credentialsUsed(const std::string& mac, const std::string& user, int64_t at) {
    Stmt s(conn_,
           "UPDATE device_credentials SET used_at = COALESCE(used_at, ?), prev_user = '', prev_password = '',"
           " prev_aes_key = '' WHERE mac = ? AND user = ?");
    s.bind(1, at).bind(2, mac).bind(3, user);
    return done(s, "device credentials used");
}

Status SqliteTx::keySent(const std::string& mac, int64_t at) {
    Stmt s(conn_, "UPDATE device_credentials SET key_sent_at = COALESCE(key_sent_at, ?) WHERE mac = ?");
    s.bind(1, at).bind(2, mac);
    return done(s, "device key sent");
}

Status SqliteTx::insertWindow(StagingWindow& w) {
    Stmt s(conn_,
           "INSERT INTO staging_windows (label, macs, max_devices, actor, role, opened_at, closes_at)"
           " VALUES (?,?,?,?,?,?,?)");
    s.bind(1, w.label).bind(2, joinMacs(w.macs)).bind(3, w.max_devices).bind(4, w.actor);
    s.bind(5, toString(w.role)).bind(6, w.opened_at).bind(7, w.closes_at);
    TRY(done(s, "staging window"));
    w.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<std::optional<StagingWindow>> SqliteTx::getWindow(int64_t id) {
    Stmt s(conn_, std::string("SELECT ") + kWindowColumns + " FROM staging_windows w WHERE w.id = ?");
    s.bind(1, id);
    if (s.step()) return std::optional<StagingWindow>(readWindow(s));
    if (s.failed()) return failure("read staging window");
    return std::optional<StagingWindow>();
}

Result<std::vector<StagingWindow>> SqliteTx::listWindows(bool open_only, int64_t now, int64_t limit) {
    Stmt s(conn_, std::string("SELECT ") + kWindowColumns + " FROM staging_windows w" +
                      (open_only ? " WHERE w.closed_at IS NULL AND w.closes_at > ?1" : " WHERE ?1 = ?1") +
                      " ORDER BY w.id DESC LIMIT ?2");
    s.bind(1, now).bind(2, limit);
    std::vector<StagingWindow> out;
    while (s.step()) out.push_back(readWindow(s));
    if (s.failed()) return failure("list staging windows");
    return out;
}

Status SqliteTx::closeWindow(int64_t id, int64_t at) {
    Stmt s(conn_, "UPDATE staging_windows SET closed_at = ? WHERE id = ? AND closed_at IS NULL");
    s.bind(1, at).bind(2, id);
    return done(s, "close staging window");
}

Result<std::vector<StagingWindow>> SqliteTx::windowsCovering(const std::string& mac, const std::string& label,
                                                             int64_t now) {
    // Few windows are open at once: the MAC list is matched here rather than
    // through a second table.
    static const std::string sql = std::string("SELECT ") + kWindowColumns +
                      " FROM staging_windows w WHERE w.closed_at IS NULL AND w.closes_at > ?1 AND w.opened_at <= ?1"
                      " AND ((w.label <> '' AND w.label = ?2) OR (',' || w.macs || ',') LIKE ('%,' || ?3 || ',%'))"
                                   " ORDER BY w.id";
    Stmt s(conn_, sql.c_str());  // prepared once per connection
    s.bind(1, now).bind(2, label).bind(3, mac);
    std::vector<StagingWindow> out;
    while (s.step()) out.push_back(readWindow(s));
    if (s.failed()) return failure("staging windows of a device");
    return out;
}

Result<int64_t> SqliteTx::windowUse(int64_t id, const std::string& mac) {
    Stmt s(conn_, "SELECT at FROM staging_window_uses WHERE window_id = ? AND mac = ?");
    s.bind(1, id).bind(2, mac);
    if (s.step()) return s.integer(0);
    if (s.failed()) return failure("staging window use");
    return int64_t{0};
}

Status SqliteTx::insertWindowUse(int64_t id, const std::string& mac, int64_t at) {
    Stmt s(conn_, "INSERT OR IGNORE INTO staging_window_uses (window_id, mac, at) VALUES (?,?,?)");
    s.bind(1, id).bind(2, mac).bind(3, at);
    return done(s, "staging window use");
}

Result<std::string> SqliteTx::serverKey(const std::string& name, const std::string& fresh) {
    {
        Stmt s(conn_, "INSERT OR IGNORE INTO server_keys (name, value) VALUES (?, ?)");
        s.bind(1, name).bind(2, fresh);
        TRY(done(s, "server key"));
    }
    Stmt s(conn_, "SELECT value FROM server_keys WHERE name = ?");
    s.bind(1, name);
    if (s.step()) return s.text(0);
    return failure("server key");
}

Status SqliteTx::putServerKey(const std::string& name, const std::string& value) {
    Stmt s(conn_, "INSERT OR REPLACE INTO server_keys (name, value) VALUES (?, ?)");
    s.bind(1, name).bind(2, value);
    return done(s, "server key");
}

Status SqliteTx::dropServerKeysBefore(const std::string& prefix, int64_t number) {
    // Names of another shape under the prefix (no number after it) are left alone.
    Stmt s(conn_,
           "DELETE FROM server_keys WHERE substr(name, 1, length(?1)) = ?1 AND length(name) > length(?1) "
           "AND substr(name, length(?1) + 1) NOT GLOB '*[^0-9]*' AND CAST(substr(name, length(?1) + 1) AS INTEGER) < ?2");
    s.bind(1, prefix).bind(2, number);
    return done(s, "drop server keys");
}

}  // namespace prov::sqlite
