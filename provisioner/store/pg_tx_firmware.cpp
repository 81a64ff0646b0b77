// PgTx: the firmware catalog and its targets (migration 12). An image's
// models are kept as ",A,B," so that one LIKE finds the images of a model.

#include "provisioner/store/pg_query.h"
#include "provisioner/store/pg_tx.h"

namespace prov::pg {

namespace {

std::string joinModels(const std::vector<std::string>& models) {
    std::string out = ",";
    for (const std::string& m : models) out += m + ",";
    return out;
}

std::vector<std::string> splitModels(const std::string& joined) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < joined.size()) {
        size_t comma = joined.find(',', start);
        if (comma == std::string::npos) comma = joined.size();
        if (comma > start) out.push_back(joined.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

constexpr const char* kImageColumns =
    "SELECT id, vendor, version, models, file, size, sha256, mtime_ns, inode, state, verified_at, "
    "source,"
    " created_at, created_by FROM firmware_images";

FirmwareImage readImage(const Stmt& s) {
    FirmwareImage i;
    i.id = s.integer(0);
    i.vendor = s.text(1);
    i.version = s.text(2);
    i.models = splitModels(s.text(3));
    i.file = s.text(4);
    i.size = s.integer(5);
    i.sha256 = s.text(6);
    i.mtime_ns = s.integer(7);
    i.inode = s.integer(8);
    i.state = s.text(9);
    i.verified_at = s.integer(10);
    i.source = s.text(11);
    i.created_at = s.integer(12);
    i.created_by = s.text(13);
    return i;
}

FirmwareTarget readTarget(const Stmt& s) {
    FirmwareTarget t;
    t.id = s.integer(0);
    t.vendor = s.text(1);
    t.model = s.text(2);
    t.scope = s.text(3);
    t.scope_key = s.text(4);
    t.version = s.text(5);
    t.rollout_id = s.integer(6);
    t.updated_at = s.integer(7);
    t.updated_by = s.text(8);
    return t;
}

}  // namespace

Status PgTx::insertFirmwareImage(FirmwareImage& image) {
    Stmt s(conn_,
           "INSERT INTO firmware_images (vendor, version, models, file, size, sha256, mtime_ns, "
           "inode, state,"
           " verified_at, source, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
    const int64_t now = clock_.nowSeconds();
    s.bind(1, image.vendor)
        .bind(2, image.version)
        .bind(3, joinModels(image.models))
        .bind(4, image.file);
    s.bind(5, image.size)
        .bind(6, image.sha256)
        .bind(7, image.mtime_ns)
        .bind(8, image.inode)
        .bind(9, image.state);
    if (image.verified_at) {
        s.bind(10, image.verified_at);
    } else {
        s.bindNull(10);
    }
    s.bind(11, image.source).bind(12, now).bind(13, image.created_by);
    TRY(done(s, "firmware image"));
    image.id = s.integer(0);
    image.created_at = now;
    return okStatus();
}

Result<std::vector<FirmwareImage>> PgTx::listFirmwareImages() {
    static const std::string sql = std::string(kImageColumns) + " ORDER BY id";
    Stmt s(conn_, sql.c_str());
    std::vector<FirmwareImage> out;
    while (s.step()) out.push_back(readImage(s));
    if (s.failed()) return failure("firmware images");
    return out;
}

Result<std::optional<FirmwareImage>> PgTx::getFirmwareImage(int64_t id) {
    static const std::string sql = std::string(kImageColumns) + " WHERE id = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, id);
    if (s.step()) return std::optional<FirmwareImage>(readImage(s));
    if (s.failed()) return failure("firmware image");
    return std::optional<FirmwareImage>();
}

Status PgTx::putFirmwareCheck(int64_t id, const std::string& state, int64_t size,
                                  int64_t mtime_ns, int64_t inode, int64_t verified_at) {
    // The size recorded is the verified one: a file found shorter keeps it,
    // so the catalog still says what the image should be.
    Stmt s(conn_,
           "UPDATE firmware_images SET state = ?, mtime_ns = ?, inode = ?, verified_at = ?,"
           " size = CASE WHEN ? = 'ok' THEN ? ELSE size END WHERE id = ?");
    s.bind(1, state)
        .bind(2, mtime_ns)
        .bind(3, inode)
        .bind(4, verified_at)
        .bind(5, state)
        .bind(6, size)
        .bind(7, id);
    return done(s, "firmware check");
}

Status PgTx::deleteFirmwareImage(int64_t id) {
    Stmt s(conn_, "DELETE FROM firmware_images WHERE id = ?");
    s.bind(1, id);
    return done(s, "delete firmware image");
}

Result<std::vector<FirmwareTarget>> PgTx::listFirmwareTargets(const std::string& vendor) {
    Stmt s(conn_,
           "SELECT id, vendor, model, scope, scope_key, version, COALESCE(rollout_id, 0), "
           "updated_at, updated_by"
           " FROM firmware_targets WHERE ?1 = '' OR vendor = ?1 ORDER BY vendor, model, scope, "
           "scope_key");
    s.bind(1, vendor);
    std::vector<FirmwareTarget> out;
    while (s.step()) out.push_back(readTarget(s));
    if (s.failed()) return failure("firmware targets");
    return out;
}

Status PgTx::putFirmwareTarget(FirmwareTarget& t) {
    Stmt s(conn_,
           "INSERT INTO firmware_targets (vendor, model, scope, scope_key, version, rollout_id, "
           "updated_at,"
           " updated_by) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (vendor, model, scope, scope_key) DO "
           "UPDATE SET"
           " version = excluded.version, rollout_id = excluded.rollout_id, updated_at = "
           "excluded.updated_at,"
           " updated_by = excluded.updated_by");
    const int64_t now = clock_.nowSeconds();
    s.bind(1, t.vendor).bind(2, t.model).bind(3, t.scope).bind(4, t.scope_key).bind(5, t.version);
    if (t.rollout_id) {
        s.bind(6, t.rollout_id);
    } else {
        s.bindNull(6);
    }
    s.bind(7, now).bind(8, t.updated_by);
    TRY(done(s, "firmware target"));
    Stmt id(conn_,
            "SELECT id FROM firmware_targets WHERE vendor = ? AND model = ? AND scope = ? AND "
            "scope_key = ?");
    id.bind(1, t.vendor).bind(2, t.model).bind(3, t.scope).bind(4, t.scope_key);
    if (!id.step()) return failure("firmware target");
    t.id = id.integer(0);
    t.updated_at = now;
    return okStatus();
}

Result<bool> PgTx::deleteFirmwareTarget(const std::string& vendor, const std::string& model,
                                            const std::string& scope,
                                            const std::string& scope_key) {
    Stmt s(conn_,
           "DELETE FROM firmware_targets WHERE vendor = ? AND model = ? AND scope = ? AND "
           "scope_key = ?");
    s.bind(1, vendor).bind(2, model).bind(3, scope).bind(4, scope_key);
    TRY(done(s, "delete firmware target"));
    return s.changes() > 0;
}

Status PgTx::markStaleModel(const std::string& make, const std::string& model,
                                const std::string& label) {
    Stmt s(conn_,
           "UPDATE devices SET state = 'stale' WHERE lower(make) = lower(?) AND lower(model) = lower(?)"
           " AND (?3 = '' OR label = ?3) AND state IN ('provisioned','applied')");
    s.bind(1, make).bind(2, model).bind(3, label);
    return done(s, "mark stale");
}

}  // namespace prov::pg
