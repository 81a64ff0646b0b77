#pragma once

// The MAC-sweep budgets of several nodes on one store, merged: a sweep
// spread over the nodes (a load balancer in front, or a client walking
// through their addresses) spends one budget per source, not one per node.
//
//   SweepMerge merge(store, guard, clock, node_name);
//   every few seconds:
//     auto blocks = merge.run();   // log each block as guard.miss()'s are
//
// run() writes what this node's guard spent per source since the last run
// (SweepGuard::takeSpent: one row per source that spent, never a write per
// fetch), then reads the rows other nodes wrote since its last read and
// charges them to this guard (SweepGuard::charge), in one write transaction.
// A source whose misses are split between nodes is thus blocked on every
// node within one period of the slowest node's runs. Rows are deleted after
// kKeepSeconds; a node that starts reads only rows written after it did.
// On SQLite (one node) the rows are written and nobody else reads them.

#include <string>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/policy/sweep_guard.h"
#include "provisioner/store/store.h"

namespace prov {

class SweepMerge {
  public:
    static constexpr int64_t kKeepSeconds = 600;
    // Sources written per run; the rest wait for the next.
    static constexpr size_t kMaxSources = 2000;
    // Rows read per run; the rest wait for the next.
    static constexpr int64_t kMaxRows = 20000;

    // `node`: a name no other process of the store uses (random at start).
    SweepMerge(Store& store, policy::SweepGuard& guard, const Clock& clock, std::string node);

    // One merge. The blocks other nodes' spending started here. On an error
    // this node's spending is lost (it still counts here) and the rows of
    // others are read at the next run.
    Result<std::vector<policy::Block>> run();

  private:
    Store& store_;
    policy::SweepGuard& guard_;
    const Clock& clock_;
    const std::string node_;
    int64_t last_id_ = -1;  // the last row read; -1: none yet (start after the newest)
    int64_t pruned_at_ = 0;
};

}  // namespace prov
