#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

namespace {

constexpr const char* kExtensionColumns =
    "e.id, e.extension, e.device_type, e.callerid_name, e.user, e.voicemail_enabled,"
    " e.voicemail_pin, e.voicemail_email, e.did, e.twinning_number, e.external_callerid,"
    " e.call_forward, e.class_of_service, e.phone_group, e.secret, e.mac, e.phone_reg,"
    " COALESCE(d.make, ''), COALESCE(d.model, ''), e.agent, e.status, e.status_changed_at, e.ip,"
    " e.port, e.created_at, e.updated_at, e.version"
    " FROM extensions e LEFT JOIN devices d ON d.mac = e.mac";

Extension readExtension(const Stmt& s) {
    Extension e;
    int c = 0;
    e.id = s.integer(c++);
    e.extension = s.text(c++);
    e.device_type = parseDeviceType(s.text(c++)).value_or(DeviceType::kSip);
    e.callerid_name = s.text(c++);
    e.user = s.text(c++);
    e.voicemail_enabled = s.integer(c++) != 0;
    e.voicemail_pin = s.text(c++);
    e.voicemail_email = s.text(c++);
    e.did = s.text(c++);
    e.twinning_number = s.text(c++);
    e.external_callerid = s.text(c++);
    e.call_forward = s.text(c++);
    e.class_of_service = s.text(c++);
    e.phone_group = s.text(c++);
    e.secret = s.text(c++);
    e.mac = s.text(c++);
    e.phone_reg = static_cast<int>(s.integer(c++));
    e.phone_make = s.text(c++);
    e.phone_model = s.text(c++);
    e.agent = s.text(c++);
    e.status = parseRegStatus(s.text(c++)).value_or(RegStatus::kBlank);
    e.status_changed_at = s.integer(c++);
    e.ip = s.text(c++);
    e.port = static_cast<int>(s.integer(c++));
    e.created_at = s.integer(c++);
    e.updated_at = s.integer(c++);
    e.version = s.integer(c++);
    return e;
}

// Binds the editable columns in the order of the INSERT/UPDATE statements.
int bindEditable(Stmt& s, const Extension& e) {
    int i = 1;
    s.bind(i++, e.extension);
    s.bind(i++, toString(e.device_type));
    s.bind(i++, e.callerid_name);
    s.bind(i++, e.user);
    s.bind(i++, static_cast<int64_t>(e.voicemail_enabled));
    s.bind(i++, e.voicemail_pin);
    s.bind(i++, e.voicemail_email);
    s.bind(i++, e.did);
    s.bind(i++, e.twinning_number);
    s.bind(i++, e.external_callerid);
    s.bind(i++, e.call_forward);
    s.bind(i++, e.class_of_service);
    s.bind(i++, e.phone_group);
    s.bind(i++, e.secret);
    s.bindOptional(i++, e.mac);
    if (e.mac.empty()) {
        s.bindNull(i++);
    } else {
        s.bind(i++, static_cast<int64_t>(e.phone_reg));
    }
    return i;
}

constexpr const char* kDeviceColumns =
    "mac, make, model, serial, label, state, last_seen_at, last_seen_ip, last_seen_ua,"
    " last_firmware, last_file, last_hash, created_at, updated_at, version, first_seen_at FROM devices";

Device readDevice(const Stmt& s) {
    Device d;
    int c = 0;
    d.mac = s.text(c++);
    d.make = s.text(c++);
    d.model = s.text(c++);
    d.serial = s.text(c++);
    d.label = s.text(c++);
    d.state = parseDeviceState(s.text(c++)).value_or(DeviceState::kNew);
    d.last_seen_at = s.integer(c++);
    d.last_seen_ip = s.text(c++);
    d.last_seen_ua = s.text(c++);
    d.last_firmware = s.text(c++);
    d.last_file = s.text(c++);
    d.last_hash = s.text(c++);
    d.created_at = s.integer(c++);
    d.updated_at = s.integer(c++);
    d.version = s.integer(c++);
    d.first_seen_at = s.integer(c++);
    return d;
}

std::string pageClause(Page page) {
    return " LIMIT " + std::to_string(page.limit) + " OFFSET " + std::to_string(page.offset);
}

// A WHERE clause built from optional conditions, with its text arguments.
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

Result<int64_t> countWhere(Connection& conn, const std::string& table, const Where& w) {
    Stmt s(conn, "SELECT COUNT(*) FROM " + table + w.sql);
    w.bind(s);
    if (!s.step()) return Error::internal("store: count failed: " + conn.lastError());
    return s.integer(0);
}

}  // namespace

Error SqliteTx::failure(const std::string& what) const {
    const int rc = sqlite3_extended_errcode(conn_.handle());
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return Error{Code::kAlreadyExists, "duplicate", what + ": already exists", {}, {}};
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return Error{Code::kUnavailable, "store_busy", "the store is busy; try again", {}, {}};
    return Error::internal("store: " + what + ": " + conn_.lastError());
}

Result<std::optional<Extension>> SqliteTx::getExtension(const std::string& extension) {
    static const std::string sql = std::string("SELECT ") + kExtensionColumns + " WHERE e.extension = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, extension);
    if (s.step()) return std::optional<Extension>(readExtension(s));
    if (s.failed()) return failure("read extension");
    return std::optional<Extension>();
}

Result<Listing<Extension>> SqliteTx::listExtensions(const ExtensionFilter& f, Page page) {
    Where w;
    if (!f.q.empty()) {
        w.add("(e.extension LIKE ? ESCAPE '\\' OR e.callerid_name LIKE ? ESCAPE '\\')", "");
        std::string pattern = "%";
        for (char c : f.q) {
            if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
            pattern.push_back(c);
        }
        pattern.push_back('%');
        w.args.back() = pattern;
        w.args.push_back(pattern);
    }
    if (f.device_type) w.add("e.device_type = ?", std::string(toString(*f.device_type)));
    if (!f.mac.empty()) w.add("e.mac = ?", f.mac);
    if (!f.phone_group.empty()) w.add("e.phone_group = ?", f.phone_group);
    Listing<Extension> out;
    auto total = countWhere(conn_, "extensions e", w);
    if (!total) return total.error();
    out.total = total.value();
    Stmt s(conn_, std::string("SELECT ") + kExtensionColumns + w.sql +
                      " ORDER BY length(e.extension), e.extension" + pageClause(page));
    w.bind(s);
    while (s.step()) out.items.push_back(readExtension(s));
    if (s.failed()) return failure("list extensions");
    return out;
}

Status SqliteTx::insertExtension(Extension& e) {
    Stmt s(conn_,
           "INSERT INTO extensions (extension, device_type, callerid_name, user, voicemail_enabled,"
           " voicemail_pin, voicemail_email, did, twinning_number, external_callerid, call_forward,"
           " class_of_service, phone_group, secret, mac, phone_reg, created_at, updated_at, version)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)");
    int i = bindEditable(s, e);
    const int64_t now = clock_.nowSeconds();
    s.bind(i, now).bind(i + 1, now);
    s.step();
    if (s.failed()) return failure("extension");
    e.id = sqlite3_last_insert_rowid(conn_.handle());
    e.created_at = e.updated_at = now;
    e.version = 1;
    return okStatus();
}

Status SqliteTx::updateExtension(Extension& e) {
    Stmt s(conn_,
           "UPDATE extensions SET extension=?, device_type=?, callerid_name=?, user=?,"
           " voicemail_enabled=?, voicemail_pin=?, voicemail_email=?, did=?, twinning_number=?,"
           " external_callerid=?, call_forward=?, class_of_service=?, phone_group=?, secret=?, mac=?,"
           " phone_reg=?, updated_at=?, version=version+1 WHERE id=? AND version=?");
    int i = bindEditable(s, e);
    const int64_t now = clock_.nowSeconds();
    s.bind(i, now).bind(i + 1, e.id).bind(i + 2, e.version);
    s.step();
    if (s.failed()) return failure("extension");
    if (sqlite3_changes(conn_.handle()) != 1)
        return Error::conflict("version_conflict", "the extension was changed by someone else");
    e.updated_at = now;
    ++e.version;
    return okStatus();
}

Status SqliteTx::updateRegistration(const Extension& e) {
    Stmt s(conn_,
           "UPDATE extensions SET agent=?, status=?, status_changed_at=?, ip=?, port=? WHERE id=?");
    s.bind(1, e.agent).bind(2, toString(e.status)).bind(3, e.status_changed_at).bind(4, e.ip);
    if (e.port) {
        s.bind(5, static_cast<int64_t>(e.port));
    } else {
        s.bindNull(5);
    }
    s.bind(6, e.id);
    s.step();
    if (s.failed()) return failure("registration");
    return okStatus();
}

Status SqliteTx::deleteExtension(int64_t id) {
    Stmt s(conn_, "DELETE FROM extensions WHERE id = ?");
    s.bind(1, id);
    s.step();
    if (s.failed()) return failure("delete extension");
    return okStatus();
}

Result<int64_t> SqliteTx::countLicensed() {
    Stmt s(conn_, "SELECT used FROM licence_usage WHERE id = 1");
    if (!s.step()) return failure("count licences");
    return s.integer(0);
}

Result<std::vector<Extension>> SqliteTx::extensionsOnDevice(const std::string& mac) {
    static const std::string sql =
        std::string("SELECT ") + kExtensionColumns + " WHERE e.mac = ? ORDER BY e.phone_reg";
    Stmt s(conn_, sql.c_str());
    s.bind(1, mac);
    std::vector<Extension> out;
    while (s.step()) out.push_back(readExtension(s));
    if (s.failed()) return failure("extensions on device");
    return out;
}

Result<std::vector<std::string>> SqliteTx::forwardersTo(const std::string& extension) {
    Stmt s(conn_, "SELECT extension FROM extensions WHERE call_forward = ? ORDER BY extension");
    s.bind(1, extension);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    if (s.failed()) return failure("forwarders");
    return out;
}

Result<std::vector<std::string>> SqliteTx::blfWatchersOf(const std::string& extension) {
    Stmt s(conn_,
           "SELECT DISTINCT e.extension FROM buttons b JOIN extensions e ON e.id = b.extension_id"
           " WHERE b.type = 'blf' AND b.value = ? ORDER BY e.extension");
    s.bind(1, extension);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    if (s.failed()) return failure("BLF watchers");
    return out;
}

Result<std::vector<Button>> SqliteTx::getButtons(int64_t extension_id) {
    Stmt s(conn_, "SELECT idx, type, value, label, line FROM buttons WHERE extension_id = ? ORDER BY idx");
    s.bind(1, extension_id);
    std::vector<Button> out;
    while (s.step()) {
        out.push_back(Button{static_cast<int>(s.integer(0)), s.text(1), s.text(2), s.text(3),
                             static_cast<int>(s.integer(4))});
    }
    if (s.failed()) return failure("buttons");
    return out;
}

Status SqliteTx::replaceButtons(int64_t extension_id, const std::vector<Button>& buttons) {
    {
        Stmt del(conn_, "DELETE FROM buttons WHERE extension_id = ?");
        del.bind(1, extension_id);
        del.step();
        if (del.failed()) return failure("buttons");
    }
    for (const Button& b : buttons) {
        Stmt s(conn_, "INSERT INTO buttons (extension_id, idx, type, value, label, line) VALUES (?,?,?,?,?,?)");
        s.bind(1, extension_id).bind(2, static_cast<int64_t>(b.index)).bind(3, b.type).bind(4, b.value);
        s.bind(5, b.label).bind(6, static_cast<int64_t>(b.line));
        s.step();
        if (s.failed()) return failure("buttons");
    }
    return okStatus();
}

Result<std::optional<Device>> SqliteTx::getDevice(const std::string& mac) {
    static const std::string sql = std::string("SELECT ") + kDeviceColumns + " WHERE mac = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, mac);
    if (s.step()) return std::optional<Device>(readDevice(s));
    if (s.failed()) return failure("read device");
    return std::optional<Device>();
}

Result<Listing<Device>> SqliteTx::listDevices(const DeviceFilter& f, Page page) {
    Where w;
    if (f.state) w.add("state = ?", std::string(toString(*f.state)));
    if (!f.make.empty()) w.add("make = ? COLLATE NOCASE", f.make);
    if (!f.model.empty()) w.add("model = ? COLLATE NOCASE", f.model);
    if (!f.label.empty()) w.add("label = ?", f.label);
    Listing<Device> out;
    auto total = countWhere(conn_, "devices", w);
    if (!total) return total.error();
    out.total = total.value();
    Stmt s(conn_, std::string("SELECT ") + kDeviceColumns + w.sql + " ORDER BY mac" + pageClause(page));
    w.bind(s);
    while (s.step()) out.items.push_back(readDevice(s));
    if (s.failed()) return failure("list devices");
    return out;
}

Status SqliteTx::insertDevice(Device& d) {
    Stmt s(conn_,
           "INSERT INTO devices (mac, make, model, serial, label, state, created_at, updated_at, version)"
           " VALUES (?,?,?,?,?,?,?,?,1)");
    const int64_t now = clock_.nowSeconds();
    s.bind(1, d.mac).bind(2, d.make).bind(3, d.model).bind(4, d.serial).bind(5, d.label);
    s.bind(6, toString(d.state)).bind(7, now).bind(8, now);
    s.step();
    if (s.failed()) return failure("device");
    d.created_at = d.updated_at = now;
    d.version = 1;
    return okStatus();
}

Status SqliteTx::updateDevice(Device& d) {
    Stmt s(conn_,
           "UPDATE devices SET make=?, model=?, serial=?, label=?, state=?, last_seen_at=?,"
           " last_seen_ip=?, last_seen_ua=?, last_firmware=?, last_file=?, last_hash=?, updated_at=?,"
           " version=version+1 WHERE mac=? AND version=?");
    const int64_t now = clock_.nowSeconds();
    s.bind(1, d.make).bind(2, d.model).bind(3, d.serial).bind(4, d.label).bind(5, toString(d.state));
    if (d.last_seen_at) {
        s.bind(6, d.last_seen_at);
    } else {
        s.bindNull(6);
    }
    s.bind(7, d.last_seen_ip).bind(8, d.last_seen_ua).bind(9, d.last_firmware).bind(10, d.last_file);
    s.bind(11, d.last_hash).bind(12, now).bind(13, d.mac).bind(14, d.version);
    s.step();
    if (s.failed()) return failure("device");
    if (sqlite3_changes(conn_.handle()) != 1)
        return Error::conflict("version_conflict", "the device was changed by someone else");
    d.updated_at = now;
    ++d.version;
    return okStatus();
}

Status SqliteTx::deleteDevice(const std::string& mac) {
    {
        Stmt s(conn_, "DELETE FROM settings WHERE scope = ?");
        s.bind(1, mac);
        s.step();
        if (s.failed()) return failure("delete device settings");
    }
    Stmt s(conn_, "DELETE FROM devices WHERE mac = ?");
    s.bind(1, mac);
    s.step();
    if (s.failed()) return failure("delete device");
    return okStatus();
}

Result<bool> SqliteTx::touchDevice(const std::string& mac, int64_t at, const std::string& ip,
                                   const std::string& ua, const std::string& firmware, const std::string& file,
                                   const std::string& hash, bool served) {
    Stmt s(conn_,
           "UPDATE devices SET last_seen_at=?1, first_seen_at=COALESCE(first_seen_at, ?1), last_seen_ip=?, last_seen_ua=?,"
           " last_firmware=CASE WHEN ?='' THEN last_firmware ELSE ? END,"
           " last_file=CASE WHEN ? THEN ? ELSE last_file END,"
           " last_hash=CASE WHEN ? THEN ? ELSE last_hash END WHERE mac=?");
    s.bind(1, at).bind(2, ip).bind(3, ua).bind(4, firmware).bind(5, firmware);
    s.bind(6, static_cast<int64_t>(served)).bind(7, file).bind(8, static_cast<int64_t>(served)).bind(9, hash);
    s.bind(10, mac);
    s.step();
    if (s.failed()) return failure("touch device");
    return sqlite3_changes(conn_.handle()) == 1;
}

Status SqliteTx::setDeviceState(const std::string& mac, DeviceState state) {
    Stmt s(conn_, "UPDATE devices SET state = ? WHERE mac = ?");
    s.bind(1, toString(state)).bind(2, mac);
    s.step();
    if (s.failed()) return failure("device state");
    return okStatus();
}

Status SqliteTx::markStale(const std::string& mac) {
    // Two statements: one with "mac = ?" alone uses the primary key.
    if (mac.empty()) {
        Stmt all(conn_, "UPDATE devices SET state = 'stale' WHERE state IN ('provisioned','applied')");
        all.step();
        if (all.failed()) return failure("mark stale");
        return okStatus();
    }
    Stmt s(conn_, "UPDATE devices SET state = 'stale' WHERE mac = ? AND state IN ('provisioned','applied')");
    s.bind(1, mac);
    s.step();
    if (s.failed()) return failure("mark stale");
    return okStatus();
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
    s.step();
    if (s.failed()) return failure("served config");
    return okStatus();
}

Result<int64_t> SqliteTx::pruneEvents(int64_t before, int64_t limit) {
    Stmt s(conn_, "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)");
    s.bind(1, before).bind(2, limit);
    s.step();
    if (s.failed()) return failure("prune events");
    return static_cast<int64_t>(sqlite3_changes(conn_.handle()));
}

Status SqliteTx::deleteSetting(const std::string& scope, const std::string& key) {
    Stmt s(conn_, "DELETE FROM settings WHERE scope = ? AND key = ?");
    s.bind(1, scope).bind(2, key);
    s.step();
    if (s.failed()) return failure("settings");
    return okStatus();
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
        s.step();
        if (s.failed()) return failure("settings");
    }
    return okStatus();
}

Status SqliteTx::insertToken(ApiToken& t) {
    Stmt s(conn_, "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?,?,?,?)");
    t.created_at = clock_.nowSeconds();
    s.bind(1, t.name).bind(2, toString(t.role)).bind(3, t.hash).bind(4, t.created_at);
    s.step();
    if (s.failed()) return failure("token");
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
    s.step();
    if (s.failed()) return failure("audit");
    a.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<Listing<AuditEntry>> SqliteTx::listAudit(const AuditFilter& f, Page page) {
    Where w;
    if (!f.entity.empty()) w.add("entity = ?", f.entity);
    if (!f.entity_id.empty()) w.add("entity_id = ?", f.entity_id);
    if (f.since) w.addInt("at >= ?", f.since);
    Listing<AuditEntry> out;
    auto total = countWhere(conn_, "audit", w);
    if (!total) return total.error();
    out.total = total.value();
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

Result<int64_t> SqliteTx::configGeneration() {
    Stmt s(conn_, "SELECT value FROM config_generation WHERE id = 1");
    if (!s.step()) return failure("config generation");
    return s.integer(0);
}

Status SqliteTx::insertEvents(const std::vector<Event>& events) {
    for (const Event& e : events) {
        Stmt s(conn_,
               "INSERT INTO events (at, mac, peer_ip, protocol, path, user_agent, vendor, model,"
               " firmware, outcome, bytes, duration_us, config_hash, auth) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        s.bind(1, e.at).bind(2, e.mac).bind(3, e.peer_ip).bind(4, e.protocol).bind(5, e.path);
        s.bind(6, e.user_agent).bind(7, e.vendor).bind(8, e.model).bind(9, e.firmware);
        s.bind(10, e.outcome).bind(11, e.bytes).bind(12, e.duration_us).bind(13, e.config_hash).bind(14, e.auth);
        s.step();
        if (s.failed()) return failure("event");
    }
    return okStatus();
}

Result<Listing<Event>> SqliteTx::listEvents(const EventFilter& f, Page page) {
    Where w;
    if (!f.mac.empty()) w.add("mac = ?", f.mac);
    if (!f.outcome.empty()) w.add("outcome = ?", f.outcome);
    if (f.since) w.addInt("at >= ?", f.since);
    Listing<Event> out;
    auto total = countWhere(conn_, "events", w);
    if (!total) return total.error();
    out.total = total.value();
    Stmt s(conn_, "SELECT id, at, mac, peer_ip, protocol, path, user_agent, vendor, model, firmware,"
                  " outcome, bytes, duration_us, config_hash, auth FROM events" + w.sql +
                  " ORDER BY id DESC" + pageClause(page));
    w.bind(s);
    while (s.step()) {
        Event e;
        int c = 0;
        e.id = s.integer(c++);
        e.at = s.integer(c++);
        e.mac = s.text(c++);
        e.peer_ip = s.text(c++);
        e.protocol = s.text(c++);
        e.path = s.text(c++);
        e.user_agent = s.text(c++);
        e.vendor = s.text(c++);
        e.model = s.text(c++);
        e.firmware = s.text(c++);
        e.outcome = s.text(c++);
        e.bytes = s.integer(c++);
        e.duration_us = s.integer(c++);
        e.config_hash = s.text(c++);
        e.auth = s.text(c++);
        out.items.push_back(std::move(e));
    }
    if (s.failed()) return failure("events");
    return out;
}

}  // namespace prov::sqlite
