// PgTx: MAC-sweep budgets merged across nodes (migration 17).

#include "provisioner/store/pg_query.h"
#include "provisioner/store/pg_tx.h"

namespace prov::pg {

Status PgTx::insertSweepSpend(SweepSpend& spend) {
    Stmt s(conn_,
           "INSERT INTO sweep_spend (node, source, spent_milli, at) VALUES (?,?,?,?) RETURNING id");
    s.bind(1, spend.node).bind(2, spend.source).bind(3, spend.spent_milli).bind(4, spend.at);
    TRY(done(s, "sweep spend"));
    spend.id = s.integer(0);
    return okStatus();
}

Result<std::vector<SweepSpend>> PgTx::sweepSpendAfter(int64_t after_id, int64_t limit) {
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

Result<int64_t> PgTx::lastSweepSpend() {
    Stmt s(conn_, "SELECT COALESCE(MAX(id), 0) FROM sweep_spend");
    if (!s.step()) return failure("sweep spend");
    return s.integer(0);
}

Result<int64_t> PgTx::pruneSweepSpend(int64_t before) {
    Stmt s(conn_, "DELETE FROM sweep_spend WHERE at < ?");
    s.bind(1, before);
    TRY(done(s, "sweep spend"));
    return s.changes();
}

}  // namespace prov::pg
