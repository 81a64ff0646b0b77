// PgTx: firmware rollouts and their members, and each device's firmware
// progress (migration 12). Like the resync state, the progress moves on its
// own columns, never the device's version: the server moves it.

#include "provisioner/store/pg_query.h"
#include "provisioner/store/pg_tx.h"

namespace prov::pg {

namespace {

std::string joinMacs(const std::vector<std::string>& macs) {
    std::string out;
    for (const std::string& m : macs) out += (out.empty() ? "" : ",") + m;
    return out;
}

std::vector<std::string> splitMacs(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        if (comma > start) out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

constexpr const char* kRolloutColumns =
    "SELECT id, vendor, model, site, to_version, previous, canary_macs, canary_percent, window_s, state,"
    " stage_started_at, reason, created_at, created_by FROM rollouts";

Rollout readRollout(const Stmt& s) {
    Rollout r;
    r.id = s.integer(0);
    r.vendor = s.text(1);
    r.model = s.text(2);
    r.site = s.text(3);
    r.to_version = s.text(4);
    r.previous = s.text(5);
    r.canaries = splitMacs(s.text(6));
    r.canary_percent = static_cast<int>(s.integer(7));
    r.window_s = s.integer(8);
    r.state = s.text(9);
    r.stage_started_at = s.integer(10);
    r.reason = s.text(11);
    r.created_at = s.integer(12);
    r.created_by = s.text(13);
    return r;
}

}  // namespace

Result<std::optional<FirmwareProgress>> PgTx::getFirmwareProgress(const std::string& mac) {
    Stmt s(conn_, "SELECT fw_target, fw_status, COALESCE(fw_told_at, 0), fw_misses FROM devices WHERE mac = ?");
    s.bind(1, mac);
    if (s.step()) {
        return std::optional<FirmwareProgress>(FirmwareProgress{
            s.text(0), s.text(1), s.integer(2), static_cast<int>(s.integer(3))});
    }
    if (s.failed()) return failure("firmware progress");
    return std::optional<FirmwareProgress>();
}

Status PgTx::putFirmwareProgress(const std::string& mac, const FirmwareProgress& p) {
    Stmt s(conn_, "UPDATE devices SET fw_target = ?, fw_status = ?, fw_told_at = ?, fw_misses = ? WHERE mac = ?");
    s.bind(1, p.target).bind(2, p.status);
    if (p.told_at) {
        s.bind(3, p.told_at);
    } else {
        s.bindNull(3);
    }
    s.bind(4, static_cast<int64_t>(p.misses)).bind(5, mac);
    return done(s, "firmware progress");
}

Result<int64_t> PgTx::deleteRolloutTargets(int64_t rollout_id, const std::string& mac) {
    Stmt s(conn_,
           "DELETE FROM firmware_targets WHERE rollout_id = ?1"
           " AND (?2 = '' OR (scope = 'device' AND scope_key = ?2))");
    s.bind(1, rollout_id).bind(2, mac);
    TRY(done(s, "rollout targets"));
    return s.changes();
}

Status PgTx::insertRollout(Rollout& r) {
    Stmt s(conn_,
           "INSERT INTO rollouts (vendor, model, site, to_version, previous, canary_macs, canary_percent,"
           " window_s, state, stage_started_at, reason, created_at, created_by)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
    r.created_at = clock_.nowSeconds();
    s.bind(1, r.vendor).bind(2, r.model).bind(3, r.site).bind(4, r.to_version).bind(5, r.previous);
    s.bind(6, joinMacs(r.canaries)).bind(7, static_cast<int64_t>(r.canary_percent)).bind(8, r.window_s);
    s.bind(9, r.state).bind(10, r.stage_started_at).bind(11, r.reason).bind(12, r.created_at);
    s.bind(13, r.created_by);
    TRY(done(s, "rollout"));
    r.id = s.integer(0);
    return okStatus();
}

Result<std::optional<Rollout>> PgTx::getRollout(int64_t id) {
    static const std::string sql = std::string(kRolloutColumns) + " WHERE id = ?";
    Stmt s(conn_, sql.c_str());
    s.bind(1, id);
    if (s.step()) return std::optional<Rollout>(readRollout(s));
    if (s.failed()) return failure("rollout");
    return std::optional<Rollout>();
}

Result<std::vector<Rollout>> PgTx::listRollouts(const std::string& state) {
    static const std::string sql = std::string(kRolloutColumns) + " WHERE ?1 = '' OR state = ?1 ORDER BY id DESC";
    Stmt s(conn_, sql.c_str());
    s.bind(1, state);
    std::vector<Rollout> out;
    while (s.step()) out.push_back(readRollout(s));
    if (s.failed()) return failure("rollouts");
    return out;
}

Status PgTx::putRolloutState(int64_t id, const std::string& state, const std::string& reason,
                                 int64_t stage_started_at) {
    Stmt s(conn_, "UPDATE rollouts SET state = ?, reason = ?, stage_started_at = ? WHERE id = ?");
    s.bind(1, state).bind(2, reason).bind(3, stage_started_at).bind(4, id);
    TRY(done(s, "rollout"));
    if (s.changes() != 1) return Error::notFound("no rollout " + std::to_string(id));
    return okStatus();
}

Status PgTx::insertRolloutMember(int64_t id, const std::string& mac, int ring) {
    Stmt s(conn_, "INSERT INTO rollout_members (rollout_id, mac, ring) VALUES (?,?,?)");
    s.bind(1, id).bind(2, mac).bind(3, static_cast<int64_t>(ring));
    return done(s, "rollout member");
}

Result<std::vector<std::pair<std::string, int>>> PgTx::listRolloutMembers(int64_t id) {
    Stmt s(conn_, "SELECT mac, ring FROM rollout_members WHERE rollout_id = ? ORDER BY ring, mac");
    s.bind(1, id);
    std::vector<std::pair<std::string, int>> out;
    while (s.step()) out.emplace_back(s.text(0), static_cast<int>(s.integer(1)));
    if (s.failed()) return failure("rollout members");
    return out;
}

}  // namespace prov::pg
