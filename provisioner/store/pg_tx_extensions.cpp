// PgTx: extensions and their buttons. The columns come from
// extensionFields() (model/fields.h).

#include "provisioner/store/field_sql.h"
#include "provisioner/store/list_order.h"
#include "provisioner/store/pg_query.h"
#include "provisioner/store/pg_tx.h"

namespace prov::pg {

namespace {

// "SELECT <every column> FROM extensions e LEFT JOIN devices d ..." + `tail`.
std::string selectExtensions(const std::string& tail) {
    return "SELECT " + selectList(extensionFields(), "e.") +
           " FROM extensions e LEFT JOIN devices d ON d.mac = e.mac" + tail;
}

const FieldList<Extension>& editable() {
    static const auto kFields = writtenBy(extensionFields(), {Access::kEditable, Access::kKey});
    return kFields;
}

}  // namespace

// A softphone extension (no device) keeps its make and model in its own
// columns (migration 14); one on a device keeps none: the device's are read.
Status PgTx::putSoftphone(const Extension& e) {
    Stmt s(conn_, "UPDATE extensions SET phone_make = ?, phone_model = ? WHERE id = ?");
    const bool own = e.mac.empty();
    s.bind(1, own ? e.phone_make : std::string()).bind(2, own ? e.phone_model : std::string()).bind(3, e.id);
    return done(s, "extension");
}

Result<std::optional<Extension>> PgTx::getExtension(const std::string& extension) {
    static const std::string sql = selectExtensions(" WHERE e.extension = ?");
    Stmt s(conn_, sql.c_str());
    s.bind(1, extension);
    if (s.step()) return std::optional<Extension>(readRecord(s, extensionFields()));
    if (s.failed()) return failure("read extension");
    return std::optional<Extension>();
}

Result<Listing<Extension>> PgTx::listExtensions(const ExtensionFilter& f, Page page) {
    const std::optional<std::string> order = extensionOrderBy(f.order, Dialect::kPostgres);
    if (!order) return Error::invalid("bad sort", {{"sort", "is not a field extensions sort by"}});
    Where w;
    if (!f.q.empty()) {
        // ILIKE, as SQLite's LIKE, ignores case.
        const std::string pattern = containsPattern(f.q);
        std::string cond =
            "(e.extension ILIKE ?1 ESCAPE '\\' OR e.callerid_name ILIKE ?1 ESCAPE '\\' OR e.\"user\" ILIKE ?1 ESCAPE '\\'"
            " OR e.did ILIKE ?1 ESCAPE '\\' OR e.external_callerid ILIKE ?1 ESCAPE '\\'"
            " OR e.voicemail_email ILIKE ?1 ESCAPE '\\' OR e.class_of_service ILIKE ?1 ESCAPE '\\'"
            " OR e.phone_group ILIKE ?1 ESCAPE '\\' OR d.make ILIKE ?1 ESCAPE '\\' OR d.model ILIKE ?1 ESCAPE '\\'";
        const std::string mac = macFragment(f.q);
        if (!mac.empty()) cond += " OR e.mac LIKE '%" + mac + "%'";  // hex digits only
        cond += ")";
        w.add(cond, pattern);
    }
    if (f.device_type) w.add("e.device_type = ?", std::string(toString(*f.device_type)));
    if (!f.mac.empty()) w.add("e.mac = ?", f.mac);
    if (!f.phone_group.empty()) w.add("e.phone_group = ?", f.phone_group);
    Listing<Extension> out;
    out.total = TRY(countWhere(conn_, "extensions e LEFT JOIN devices d ON d.mac = e.mac", w));
    Stmt s(conn_, selectExtensions(w.sql + *order + pageClause(page)));
    w.bind(s);
    while (s.step()) out.items.push_back(readRecord(s, extensionFields()));
    if (s.failed()) return failure("list extensions");
    return out;
}

Status PgTx::insertExtension(Extension& e) {
    static const std::string sql = "INSERT INTO extensions (" + columnList(editable()) +
                                   ", created_at, updated_at, version) VALUES (" +
                                   placeholders(editable().size() + 2) + ",1) RETURNING id";
    Stmt s(conn_, sql.c_str());
    const int64_t now = clock_.nowSeconds();
    const int i = bindFields(s, editable(), e, 1);
    s.bind(i, now).bind(i + 1, now);
    TRY(done(s, "extension"));
    e.id = s.integer(0);
    e.created_at = e.updated_at = now;
    e.version = 1;
    return putSoftphone(e);
}

Status PgTx::updateExtension(Extension& e) {
    static const std::string sql = "UPDATE extensions SET " + columnList(editable(), "=?") +
                                   ", updated_at=?, version=version+1 WHERE id=? AND version=?";
    Stmt s(conn_, sql.c_str());
    const int64_t now = clock_.nowSeconds();
    const int i = bindFields(s, editable(), e, 1);
    s.bind(i, now).bind(i + 1, e.id).bind(i + 2, e.version);
    TRY(done(s, "extension"));
    if (s.changes() != 1)
        return Error::conflict("version_conflict", "the extension was changed by someone else");
    e.updated_at = now;
    ++e.version;
    return putSoftphone(e);
}

Status PgTx::updateRegistration(const Extension& e) {
    static const auto kFields = writtenBy(extensionFields(), {Access::kByPbx});
    static const std::string sql = "UPDATE extensions SET " + columnList(kFields, "=?") + " WHERE id=?";
    Stmt s(conn_, sql.c_str());
    s.bind(bindFields(s, kFields, e, 1), e.id);
    return done(s, "registration");
}

Status PgTx::deleteExtension(int64_t id) {
    // Its invitations go with it, in the same transaction: a new extension
    // of the same number must not be revealed through an old link.
    Stmt revoke(conn_,
                "UPDATE invitations SET revoked = 1 WHERE revoked = 0 AND (extension_id = ?"
                " OR extension = (SELECT extension FROM extensions WHERE id = ?))");
    revoke.bind(1, id).bind(2, id);
    TRY(done(revoke, "revoke invitations"));
    Stmt s(conn_, "DELETE FROM extensions WHERE id = ?");
    s.bind(1, id);
    return done(s, "delete extension");
}

Result<int64_t> PgTx::countLicensed() {
    Stmt s(conn_, "SELECT used FROM licence_usage WHERE id = 1");
    if (!s.step()) return failure("count licences");
    return s.integer(0);
}

Result<std::vector<Extension>> PgTx::extensionsOnDevice(const std::string& mac) {
    static const std::string sql = selectExtensions(" WHERE e.mac = ? ORDER BY e.phone_reg");
    Stmt s(conn_, sql.c_str());
    s.bind(1, mac);
    std::vector<Extension> out;
    while (s.step()) out.push_back(readRecord(s, extensionFields()));
    if (s.failed()) return failure("extensions on device");
    return out;
}

Result<std::vector<std::string>> PgTx::forwardersTo(const std::string& extension) {
    Stmt s(conn_, "SELECT extension FROM extensions WHERE call_forward = ? ORDER BY extension");
    s.bind(1, extension);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    if (s.failed()) return failure("forwarders");
    return out;
}

Result<std::vector<std::string>> PgTx::blfWatchersOf(const std::string& extension) {
    Stmt s(conn_,
           "SELECT DISTINCT e.extension FROM buttons b JOIN extensions e ON e.id = b.extension_id"
           " WHERE b.type = 'blf' AND b.value = ? ORDER BY e.extension");
    s.bind(1, extension);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    if (s.failed()) return failure("BLF watchers");
    return out;
}

Result<std::vector<Button>> PgTx::getButtons(int64_t extension_id) {
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

Status PgTx::replaceButtons(int64_t extension_id, const std::vector<Button>& buttons) {
    {
        Stmt del(conn_, "DELETE FROM buttons WHERE extension_id = ?");
        del.bind(1, extension_id);
        TRY(done(del, "buttons"));
    }
    for (const Button& b : buttons) {
        Stmt s(conn_, "INSERT INTO buttons (extension_id, idx, type, value, label, line) VALUES (?,?,?,?,?,?)");
        s.bind(1, extension_id).bind(2, static_cast<int64_t>(b.index)).bind(3, b.type).bind(4, b.value);
        s.bind(5, b.label).bind(6, static_cast<int64_t>(b.line));
        TRY(done(s, "buttons"));
    }
    return okStatus();
}

}  // namespace prov::pg
