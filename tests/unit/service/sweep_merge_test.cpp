// MAC-sweep budgets merged across nodes: two SweepGuards, each merged
// through its own Store over one database (service/sweep_merge.h), on both
// back ends.

#include "provisioner/service/sweep_merge.h"

#include <catch2/catch.hpp>

#include "fakes/shared_database.h"

using namespace prov;

namespace {

policy::SweepOptions tenMisses() {
    policy::SweepOptions o;
    o.budget = 10;
    o.refill_per_minute = 0;  // what is spent stays spent for the test
    o.earn_per_hit = 1;
    return o;
}

std::string mac(int i) {
    char buf[13];
    std::snprintf(buf, sizeof buf, "0015654a%04x", i);
    return buf;
}

// `count` distinct MACs from `first` on, missed by `source` through `guard`:
// how many of those misses started a block there.
int missMany(policy::SweepGuard& guard, const std::string& source, int first, int count) {
    int blocks = 0;
    for (int i = first; i < first + count; ++i) blocks += guard.miss(source, mac(i)) ? 1 : 0;
    return blocks;
}

struct TwoNodes {
    FakeClock clock;
    testing::SharedDatabase db{clock, 2};
    policy::SweepGuard a{tenMisses(), clock};
    policy::SweepGuard b{tenMisses(), clock};
    SweepMerge merge_a{*db.stores[0], a, clock, "node-a"};
    SweepMerge merge_b{*db.stores[1], b, clock, "node-b"};

    std::vector<policy::Block> run(SweepMerge& m) {
        auto blocks = m.run();
        REQUIRE(blocks);
        return blocks.value();
    }
};

}  // namespace

TEST_CASE("sweep merge: a source whose misses are split between two nodes is blocked on both") {
    TwoNodes n;
    CHECK(n.run(n.merge_a).empty());  // both start before the sweep does
    CHECK(n.run(n.merge_b).empty());
    const std::string sweeper = "203.0.113.9";
    // 6 + 6 distinct made-up MACs: within each node's budget of 10, over the fleet's.
    CHECK(missMany(n.a, sweeper, 0, 6) == 0);
    CHECK(missMany(n.b, sweeper, 100, 6) == 0);
    CHECK_FALSE(n.a.blocked(sweeper));
    CHECK_FALSE(n.b.blocked(sweeper));
    // Another source spending on both nodes too, within the fleet's budget.
    const std::string other = "198.51.100.1";
    CHECK(missMany(n.a, other, 300, 2) == 0);
    CHECK(missMany(n.b, other, 400, 2) == 0);

    CHECK(n.run(n.merge_a).empty());     // writes a's 6; b's are not written yet
    const auto on_b = n.run(n.merge_b);  // writes b's 6, reads a's: 12 in all
    REQUIRE(on_b.size() == 1);
    CHECK(on_b[0].source == sweeper);
    CHECK(n.b.blocked(sweeper));
    const auto on_a = n.run(n.merge_a);  // reads b's
    REQUIRE(on_a.size() == 1);
    CHECK(n.a.blocked(sweeper));
    // The other source (4 of 10 across the fleet) is not charged the
    // sweeper's spending on either node; merged again, nothing more.
    CHECK_FALSE(n.a.blocked(other));
    CHECK_FALSE(n.b.blocked(other));
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());
    // Its budget is the fleet's: 2 + 2 spent, so 6 more on a block it there.
    CHECK(missMany(n.a, other, 500, 5) == 0);
    CHECK(missMany(n.a, other, 505, 1) == 1);
}

TEST_CASE("sweep merge: a node's own spending is not charged to it twice") {
    TwoNodes n;
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());
    const std::string source = "203.0.113.10";
    CHECK(missMany(n.a, source, 0, 8) == 0);
    for (int i = 0; i < 3; ++i) CHECK(n.run(n.merge_a).empty());
    CHECK_FALSE(n.a.blocked(source));
    // Node b sees the 8 once, however often a ran: 2 more there block.
    CHECK(n.run(n.merge_b).empty());
    CHECK(n.run(n.merge_b).empty());
    CHECK(missMany(n.b, source, 200, 1) == 0);
    CHECK(missMany(n.b, source, 201, 1) == 1);
}

TEST_CASE("sweep merge: a node that starts late is not charged what was spent before it started") {
    TwoNodes n;
    CHECK(n.run(n.merge_a).empty());
    const std::string source = "203.0.113.11";
    CHECK(missMany(n.a, source, 0, 9) == 0);
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());  // b's first run starts after a's rows
    CHECK(n.run(n.merge_b).empty());
    CHECK_FALSE(n.b.blocked(source));
}

TEST_CASE("sweep merge: hits earned back on one node give budget back on the other") {
    TwoNodes n;
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());
    const std::string nat = "192.0.2.50";  // real phones and a few unknown ones behind it
    CHECK(missMany(n.a, nat, 0, 8) == 0);
    CHECK(missMany(n.b, nat, 100, 1) == 0);  // b tracks it
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());                         // b: 10 - 1 - 8 = 1 left
    for (int i = 0; i < 5; ++i) n.a.hit(nat, mac(500 + i));  // a earns 5 back
    CHECK(n.run(n.merge_a).empty());
    CHECK(n.run(n.merge_b).empty());  // b: 6 left
    CHECK(missMany(n.b, nat, 300, 5) == 0);
    CHECK(missMany(n.b, nat, 305, 1) == 1);
}
