#include "provisioner/service/sweep_merge.h"

#include <cmath>

namespace prov {

SweepMerge::SweepMerge(Store& store, policy::SweepGuard& guard, const Clock& clock,
                       std::string node)
    : store_(store), guard_(guard), clock_(clock), node_(std::move(node)) {}

Result<std::vector<policy::Block>> SweepMerge::run() {
    const int64_t now = clock_.nowSeconds();
    const auto spent = guard_.takeSpent(kMaxSources);
    const bool prune = now - pruned_at_ >= 60;
    std::vector<SweepSpend> others;
    int64_t last_id = last_id_;
    auto merge = [&](StoreTx& tx) -> Status {
        others.clear();
        last_id = last_id_;
        // The first run starts after the newest row: spending from before
        // this node started is not charged to budgets it never saw refill.
        if (last_id < 0) last_id = TRY(tx.lastSweepSpend());
        for (const auto& [source, amount] : spent) {
            SweepSpend row{0, node_, source, std::llround(amount * 1000), now};
            TRY(tx.insertSweepSpend(row));
        }
        // Under the writers' lock ids are committed in order, so reading on
        // from the last one seen misses no row (store.h), in a read
        // transaction too.
        for (SweepSpend& row : TRY(tx.sweepSpendAfter(last_id, kMaxRows))) {
            last_id = row.id;
            if (row.node != node_) others.push_back(std::move(row));
        }
        // Once a minute, by every node: rows every node read long ago.
        if (prune) (void)TRY(tx.pruneSweepSpend(now - kKeepSeconds));
        return okStatus();
    };
    // Nothing to write (most runs, on most nodes): a read, beside the writers.
    TRY(spent.empty() && !prune ? store_.read(merge) : store_.write(merge));
    last_id_ = last_id;
    if (prune) pruned_at_ = now;
    std::vector<policy::Block> blocks;
    for (const SweepSpend& row : others) {
        if (auto block = guard_.charge(row.source, static_cast<double>(row.spent_milli) / 1000))
            blocks.push_back(std::move(*block));
    }
    return blocks;
}

}  // namespace prov
