// SqliteTx: MAC-sweep budgets merged across nodes (migration 17).

#include "provisioner/store/sqlite_query.h"
#include "provisioner/store/sqlite_tx.h"

namespace prov::sqlite {

Status SqliteTx::insertSweepSpend(SweepSpend& spend) {
    Stmt s(conn_, "INSERT INTO sweep_spend (node, source, spent_milli, at) VALUES (?,?,?,?)");
    s.bind(1, spend.node).bind(2, spend.source).bind(3, spend.spent_milli).bind(4, spend.at);
    TRY(done(s, "sweep spend"));
    spend.id = sqlite3_last_insert_rowid(conn_.handle());
    return okStatus();
}

Result<std::vector<SweepSpend>> SqliteTx::sweepSpendAfter(int64_t after_id, int64_t limit) {
    Stmt s(conn_,
           "SELECT id, node, source, spent_milli, at FROM sweep_spend WHERE id > ? ORDER BY id "
           "LIMIT ?");
    s.bind(1, after_id).bind(2, limit);
    std::vector<SweepSpend> out;
    while (s.step())
        out.push_back(SweepSpend{s.integer(0), s.text(1), s.text(2), s.integer(3), s.integer(4)});
    if (s.failed()) return failure("sweep spend");
    return out;
}

Result<int64_t> SqliteTx::lastSweepSpend() {
    Stmt s(conn_, "SELECT COALESCE(MAX(id), 0) FROM sweep_spend");
    if (!s.step()) return failure("sweep spend");
    return s.integer(0);
}

Result<int64_t> SqliteTx::pruneSweepSpend(int64_t before) {
    Stmt s(conn_, "DELETE FROM sweep_spend WHERE at < ?");
    s.bind(1, before);
    TRY(done(s, "sweep spend"));
    return static_cast<int64_t>(sqlite3_changes(conn_.handle()));
}

}  // namespace prov::sqlite
