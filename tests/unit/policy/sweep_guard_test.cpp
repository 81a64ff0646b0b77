#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/policy/sweep_guard.h"

using prov::FakeClock;
using prov::policy::Block;
using prov::policy::SweepGuard;
using prov::policy::SweepOptions;

namespace {

// The n-th made-up MAC of a series: canonical, 12 lowercase hex digits.
std::string mac(unsigned series, unsigned n) {
    char buf[13];
    std::snprintf(buf, sizeof buf, "%04x%08x", series & 0xffff, n);
    return buf;
}

SweepOptions small(int budget) {
    SweepOptions o;
    o.budget = budget;
    o.refill_per_minute = 0;
    return o;
}

// Misses `count` new MACs of `series`; returns the blocks they started.
std::vector<Block> missMany(SweepGuard& guard, const std::string& source, unsigned series,
                            unsigned count) {
    std::vector<Block> blocks;
    for (unsigned i = 0; i < count; ++i) {
        if (auto b = guard.miss(source, mac(series, i))) blocks.push_back(*b);
    }
    return blocks;
}

}  // namespace

TEST_CASE("a sweep of made-up MACs is blocked within the budget, with one block reported") {
    FakeClock clock;
    SweepGuard guard(SweepOptions{}, clock);
    std::vector<std::pair<int, Block>> blocks;
    for (int i = 0; i < 2000; ++i) {
        if (auto b = guard.miss("192.0.2.7", mac(0x0015, i))) blocks.emplace_back(i + 1, *b);
        clock.advanceMicros(10'000);  // 100 guesses a second
    }
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0].first == 64);
    CHECK(blocks[0].second.source == "192.0.2.7");
    CHECK(blocks[0].second.seconds == 60);
    CHECK(blocks[0].second.misses == 64);
    CHECK(blocks[0].second.count == 1);
    // The 1,936 guesses after the 64th fall within the 60 s block.
    CHECK(guard.blocked("192.0.2.7"));
    CHECK_FALSE(guard.blocked("192.0.2.8"));
}

TEST_CASE("500 known phones and 20 unknown ones booting behind one NAT address are never blocked") {
    FakeClock clock;
    SweepGuard guard(SweepOptions{}, clock);
    struct Fetch {
        std::string mac;
        bool known;
    };
    std::vector<Fetch> fetches;
    for (unsigned phone = 0; phone < 500; ++phone) {
        for (int file = 0; file < 4; ++file) fetches.push_back({mac(0x0015, phone), true});
    }
    for (unsigned phone = 0; phone < 20; ++phone) {
        for (int file = 0; file < 3; ++file) fetches.push_back({mac(0x8000, phone), false});
    }
    std::mt19937 random(GENERATE(1u, 2u, 3u, 4u, 5u));
    std::shuffle(fetches.begin(), fetches.end(), random);
    // The unknown ones first is the order least kind to the NAT: no hit has
    // earned anything yet.
    const bool unknown_first = GENERATE(false, true);
    if (unknown_first) {
        std::stable_partition(fetches.begin(), fetches.end(),
                              [](const Fetch& f) { return !f.known; });
    }
    const int64_t step =
        120'000'000 / static_cast<int64_t>(fetches.size());  // all within 2 minutes
    int blocks = 0;
    int recorded = 0;
    for (const Fetch& f : fetches) {
        REQUIRE_FALSE(guard.blocked("198.51.100.1"));
        if (f.known) {
            guard.hit("198.51.100.1", f.mac);
        } else {
            if (guard.miss("198.51.100.1", f.mac)) ++blocks;
            if (guard.mayRecordUnknown("198.51.100.1")) ++recorded;
        }
        clock.advanceMicros(step);
    }
    CHECK(blocks == 0);
    CHECK_FALSE(guard.blocked("198.51.100.1"));
    // Each miss asks to record; 16 are let through at once, the 17th after
    // 225 s, which these two minutes do not reach.
    CHECK(recorded == 16);
}

TEST_CASE("a source is charged once per distinct MAC") {
    FakeClock clock;
    SweepGuard guard(small(3), clock);
    for (int file = 0; file < 4; ++file) CHECK_FALSE(guard.miss("10.0.0.1", "0015654aa937"));
    for (int file = 0; file < 4; ++file) CHECK_FALSE(guard.miss("10.0.0.1", "0015654aa938"));
    CHECK_FALSE(guard.blocked("10.0.0.1"));
    auto b = guard.miss("10.0.0.1", "0015654aa939");
    REQUIRE(b);
    CHECK(b->misses == 3);

    SECTION("the same MAC in another spelling case is the same MAC") {
        SweepGuard g(small(2), clock);
        CHECK_FALSE(g.miss("10.0.0.2", "0015654AA937"));
        CHECK_FALSE(g.miss("10.0.0.2", "0015654aa937"));
        CHECK_FALSE(g.blocked("10.0.0.2"));
    }
    SECTION("a MAC is free again only while it is among the last distinct misses") {
        SweepGuard g(small(SweepGuard::kRecentMisses + 2), clock);
        CHECK_FALSE(g.miss("10.0.0.3", mac(1, 0)));
        CHECK(missMany(g, "10.0.0.3", 2, SweepGuard::kRecentMisses).empty());  // 1 left
        // Pushed out by kRecentMisses others, the first MAC costs again.
        CHECK(g.miss("10.0.0.3", mac(1, 0)));
    }
    SECTION("within the last distinct misses a repeat stays free") {
        SweepGuard g(small(SweepGuard::kRecentMisses + 1), clock);
        CHECK_FALSE(g.miss("10.0.0.4", mac(1, 0)));
        CHECK(missMany(g, "10.0.0.4", 2, SweepGuard::kRecentMisses - 1).empty());
        CHECK_FALSE(g.miss("10.0.0.4", mac(1, 0)));  // 32 distinct so far, budget 33
        CHECK(g.miss("10.0.0.4", mac(3, 0)));
    }
}

TEST_CASE("the budget refills over time, up to the budget") {
    FakeClock clock;
    SweepOptions o = small(4);
    o.refill_per_minute = 6;  // one every 10 s
    SweepGuard guard(o, clock);
    CHECK(missMany(guard, "10.0.0.1", 1, 3).empty());  // 1 left
    clock.advance(10);                                 // 2 left
    CHECK_FALSE(guard.miss("10.0.0.1", mac(2, 0)));
    CHECK(guard.miss("10.0.0.1", mac(2, 1)));

    SECTION("a long quiet time refills no more than the budget") {
        SweepGuard g(o, clock);
        CHECK(missMany(g, "10.0.0.2", 1, 3).empty());
        clock.advance(24 * 3600);
        auto blocks = missMany(g, "10.0.0.2", 2, 10);
        REQUIRE(blocks.size() == 1);
        CHECK(blocks[0].misses == 3 + 4);
    }
}

TEST_CASE("hits of distinct known MACs earn budget back, capped") {
    FakeClock clock;
    SweepGuard guard(small(4), clock);
    CHECK(missMany(guard, "10.0.0.1", 1, 3).empty());  // 1 left
    guard.hit("10.0.0.1", "0015654aa937");             // 2 left
    guard.hit("10.0.0.1", "0015654aa937");             // the same MAC again earns nothing
    CHECK_FALSE(guard.miss("10.0.0.1", mac(2, 0)));
    CHECK(guard.miss("10.0.0.1", mac(2, 1)));

    SECTION("one known MAC fetched over and over buys no guesses") {
        SweepGuard g(small(4), clock);
        int misses = 0;
        for (unsigned i = 0; i < 100 && !g.blocked("10.0.0.2"); ++i) {
            g.hit("10.0.0.2", "0015654aa937");
            g.miss("10.0.0.2", mac(3, i));
            ++misses;
        }
        CHECK(misses == 4 + 1);  // the budget and the one first hit
    }
    SECTION("hits earn at most a budget a minute") {
        SweepGuard g(small(4), clock);
        CHECK(missMany(g, "10.0.0.3", 1, 3).empty());
        int misses = 3;
        unsigned known = 0;
        for (unsigned i = 0; i < 100 && !g.blocked("10.0.0.3"); ++i) {
            g.hit("10.0.0.3", mac(0x0015, known++));
            g.miss("10.0.0.3", mac(3, i));
            ++misses;
        }
        CHECK(misses == 4 + 4);
        // A minute later, once the block (60 s) is over, the fresh budget
        // and a fresh earning allowance: again 4 + 4.
        clock.advance(60);
        misses = 0;
        for (unsigned i = 0; i < 100 && !g.blocked("10.0.0.3"); ++i) {
            g.hit("10.0.0.3", mac(0x0015, known++));
            g.miss("10.0.0.3", mac(4, i));
            ++misses;
        }
        CHECK(misses == 4 + 4);
    }
    SECTION("the earning allowance comes back a minute later, block or not") {
        SweepGuard g(small(4), clock);
        CHECK(missMany(g, "10.0.0.6", 1, 3).empty());                        // 1 left
        for (unsigned k = 0; k < 3; ++k) g.hit("10.0.0.6", mac(0x0015, k));  // 4 left, 3 earned
        CHECK(missMany(g, "10.0.0.6", 2, 3).empty());                        // 1 left
        g.hit("10.0.0.6", mac(0x0015, 3));                                   // 2 left, 4 earned
        g.hit("10.0.0.6", mac(0x0015, 4));                                   // earns nothing
        clock.advance(60);
        g.hit("10.0.0.6", mac(0x0015, 5));  // 3 left
        CHECK(missMany(g, "10.0.0.6", 3, 2).empty());
        CHECK(g.miss("10.0.0.6", mac(3, 2)));
    }
    SECTION("a full budget does not use up the earning allowance") {
        SweepGuard g(small(4), clock);
        CHECK_FALSE(g.miss("10.0.0.4", mac(1, 0)));  // tracked, 3 left
        for (unsigned k = 0; k < 50; ++k) g.hit("10.0.0.4", mac(0x0015, k));
        CHECK(missMany(g, "10.0.0.4", 2, 3).empty());                          // 1 left
        for (unsigned k = 50; k < 53; ++k) g.hit("10.0.0.4", mac(0x0015, k));  // 4 again
        CHECK(missMany(g, "10.0.0.4", 3, 3).empty());
        CHECK(g.miss("10.0.0.4", mac(3, 3)));
    }
    SECTION("hits of an untracked source add nothing") {
        SweepGuard g(small(4), clock);
        g.hit("10.0.0.5", "0015654aa937");
        CHECK_FALSE(g.blocked("10.0.0.5"));
        CHECK(g.trackedSources() == 0);
    }
}

TEST_CASE("blocks end, and each next block lasts twice as long, up to the maximum") {
    FakeClock clock;
    SweepOptions o = small(2);
    o.first_block_seconds = 60;
    o.max_block_seconds = 240;
    SweepGuard guard(o, clock);
    const int64_t expected[] = {60, 120, 240, 240};
    unsigned series = 0;
    for (int n = 0; n < 4; ++n) {
        INFO("block " << n + 1);
        auto blocks = missMany(guard, "10.0.0.1", series++, 2);
        REQUIRE(blocks.size() == 1);
        CHECK(blocks[0].seconds == expected[n]);
        CHECK(blocks[0].count == n + 1);
        CHECK(blocks[0].misses == 2);
        // While blocked nothing counts: misses start no block, hits earn nothing.
        CHECK(missMany(guard, "10.0.0.1", series++, 10).empty());
        guard.hit("10.0.0.1", "0015654aa937");
        clock.advance(expected[n] - 1);
        CHECK(guard.blocked("10.0.0.1"));
        clock.advance(1);
        CHECK_FALSE(guard.blocked("10.0.0.1"));
        // A fresh budget: exactly 2 misses to the next block (tested above).
    }
}

TEST_CASE("the back-off starts again after a quiet max_block_seconds") {
    FakeClock clock;
    SweepOptions o = small(1);
    o.first_block_seconds = 60;
    o.max_block_seconds = 240;
    SweepGuard guard(o, clock);
    REQUIRE(guard.miss("10.0.0.1", mac(1, 0)));
    clock.advance(60 + 239);  // quiet 239 s after the block: still in the series
    auto second = guard.miss("10.0.0.1", mac(1, 1));
    REQUIRE(second);
    CHECK(second->count == 2);
    CHECK(second->seconds == 120);
    clock.advance(120 + 240);  // quiet 240 s after the block: the series is over
    auto third = guard.miss("10.0.0.1", mac(1, 2));
    REQUIRE(third);
    CHECK(third->count == 1);
    CHECK(third->seconds == 60);
}

TEST_CASE("at most max_sources are tracked, blocked sources are evicted last") {
    FakeClock clock;
    SweepOptions o = small(1);
    o.max_sources = 3;
    // A budget of 1 blocks at the first miss, so the sources that are not
    // blocked are added by mayRecordUnknown.
    SweepGuard g(o, clock);
    REQUIRE(g.miss("blocked", mac(1, 0)));
    CHECK(g.mayRecordUnknown("idle1"));
    CHECK(g.mayRecordUnknown("idle2"));
    CHECK(g.trackedSources() == 3);
    CHECK(g.mayRecordUnknown("idle1"));  // idle1 seen after idle2
    CHECK(g.mayRecordUnknown("new1"));   // evicts idle2, the least recently seen
    CHECK(g.trackedSources() == 3);
    CHECK(g.blocked("blocked"));
    // idle1 was kept: 2 of its 16 used.
    for (int i = 0; i < 14; ++i) CHECK(g.mayRecordUnknown("idle1"));
    CHECK_FALSE(g.mayRecordUnknown("idle1"));
    // idle2 was forgotten: back with a whole allowance (evicting new1).
    for (int i = 0; i < 16; ++i) CHECK(g.mayRecordUnknown("idle2"));
    for (int i = 0; i < 100; ++i) g.mayRecordUnknown("spray" + std::to_string(i));
    CHECK(g.trackedSources() == 3);
    CHECK(g.blocked("blocked"));

    SECTION("when every source is blocked, the block that ends soonest goes") {
        SweepGuard all(o, clock);
        REQUIRE(all.miss("a", mac(1, 0)));  // ends at +60
        clock.advance(10);
        REQUIRE(all.miss("b", mac(1, 0)));  // ends at +70
        clock.advance(10);
        REQUIRE(all.miss("c", mac(1, 0)));  // ends at +80
        CHECK(all.miss("d", mac(1, 0)));    // tracked in a's place, and blocked
        CHECK(all.trackedSources() == 3);
        CHECK_FALSE(all.blocked("a"));
        CHECK(all.blocked("b"));
        CHECK(all.blocked("c"));
        CHECK(all.blocked("d"));
    }
    SECTION("blocked() and hit() add no source") {
        SweepGuard fresh(o, clock);
        CHECK_FALSE(fresh.blocked("x"));
        fresh.hit("x", "0015654aa937");
        CHECK(fresh.trackedSources() == 0);
    }
}

TEST_CASE("new unknown devices a source may record: a burst, then a steady rate") {
    FakeClock clock;
    SweepOptions o;
    o.unknown_per_hour = 16;
    SweepGuard guard(o, clock);
    for (int i = 0; i < 16; ++i) CHECK(guard.mayRecordUnknown("10.0.0.1"));
    CHECK_FALSE(guard.mayRecordUnknown("10.0.0.1"));
    CHECK(guard.mayRecordUnknown("10.0.0.2"));  // per source
    clock.advance(3600 / 16 - 1);
    CHECK_FALSE(guard.mayRecordUnknown("10.0.0.1"));
    clock.advance(1);
    CHECK(guard.mayRecordUnknown("10.0.0.1"));
    CHECK_FALSE(guard.mayRecordUnknown("10.0.0.1"));
    clock.advance(3600);  // an hour: the whole allowance again, no more
    int allowed = 0;
    for (int i = 0; i < 40; ++i) allowed += guard.mayRecordUnknown("10.0.0.1") ? 1 : 0;
    CHECK(allowed == 16);

    SECTION("a blocked source records nothing") {
        SweepOptions b = small(1);
        SweepGuard g(b, clock);
        REQUIRE(g.miss("10.0.0.3", mac(1, 0)));
        CHECK_FALSE(g.mayRecordUnknown("10.0.0.3"));
    }
}

TEST_CASE("the block log line") {
    CHECK(SweepGuard::blockEvent(Block{"192.0.2.7", 120, 64, 2}).line() ==
          "event=sweep_block src=192.0.2.7 seconds=120 unknown_macs=64 block=2");
    CHECK(SweepGuard::blockEvent(Block{"2001:db8::7", 60, 70, 1}).line() ==
          "event=sweep_block src=2001:db8::7 seconds=60 unknown_macs=70 block=1");
}

TEST_CASE("options out of range are clamped") {
    FakeClock clock;
    SweepOptions o;
    o.budget = 0;
    o.first_block_seconds = 0;
    o.max_sources = 0;
    SweepGuard guard(o, clock);
    auto b = guard.miss("10.0.0.1", mac(1, 0));
    REQUIRE(b);
    CHECK(b->seconds == 1);
    CHECK(guard.trackedSources() == 1);
}

TEST_CASE("threads sharing a guard: one block per source, bounded memory") {
    FakeClock clock;  // frozen: no block ends while the threads run
    SweepOptions o = small(50);
    o.max_sources = 64;
    SweepGuard guard(o, clock);
    constexpr int kThreads = 4;
    std::atomic<int> shared_blocks{0};
    std::atomic<int> own_blocks{0};
    std::atomic<bool> over_bound{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string own = "10.1.0." + std::to_string(t);
            for (unsigned i = 0; i < 2000; ++i) {
                // Each thread's own source: blocked once, at its 50th miss.
                if (guard.miss(own, mac(1, i))) ++own_blocks;
                // One source all threads sweep, with MACs no other thread uses.
                if (guard.miss("10.2.0.1", mac(2 + t, i))) ++shared_blocks;
                guard.hit("10.2.0.1", mac(0x0015, i));
                guard.blocked("10.2.0.1");
                // Churn through more sources than the bound.
                guard.mayRecordUnknown("10.3." + std::to_string(t) + "." + std::to_string(i % 40));
                if (guard.trackedSources() > 64) over_bound = true;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK_FALSE(over_bound);
    CHECK(shared_blocks == 1);
    // Own sources may be evicted by the churn only when all 64 are blocked,
    // which the churn's idle sources never let happen: each blocked once.
    CHECK(own_blocks == kThreads);
    CHECK(guard.blocked("10.2.0.1"));
    for (int t = 0; t < kThreads; ++t) CHECK(guard.blocked("10.1.0." + std::to_string(t)));
}

TEST_CASE("takeSpent hands over distinct misses less what hits earned, once") {
    FakeClock clock;
    SweepGuard guard(small(10), clock);
    for (unsigned i = 0; i < 4; ++i) guard.miss("10.0.0.1", mac(1, i));
    guard.miss("10.0.0.1", mac(1, 0));  // a repeat costs nothing
    guard.hit("10.0.0.1", mac(2, 0));   // earns 1 back
    guard.miss("10.0.0.2", mac(1, 9));
    auto spent = guard.takeSpent(100);
    std::sort(spent.begin(), spent.end());
    REQUIRE(spent.size() == 2);
    CHECK(spent[0] == std::make_pair(std::string("10.0.0.1"), 3.0));
    CHECK(spent[1] == std::make_pair(std::string("10.0.0.2"), 1.0));
    CHECK(guard.takeSpent(100).empty());
    // At most `max` at a time; the rest at the next call.
    guard.miss("10.0.0.3", mac(3, 0));
    guard.miss("10.0.0.4", mac(3, 1));
    CHECK(guard.takeSpent(1).size() == 1);
    CHECK(guard.takeSpent(1).size() == 1);
    CHECK(guard.takeSpent(1).empty());
}

TEST_CASE("charge takes another node's spending from the budget, and may start a block") {
    FakeClock clock;
    SweepGuard guard(small(10), clock);
    for (unsigned i = 0; i < 4; ++i) CHECK_FALSE(guard.miss("10.0.0.1", mac(1, i)));
    CHECK_FALSE(guard.charge("10.0.0.1", 5));  // 1 left
    CHECK_FALSE(guard.blocked("10.0.0.1"));
    const auto block = guard.charge("10.0.0.1", 1);
    REQUIRE(block);
    CHECK(block->source == "10.0.0.1");
    CHECK(block->misses == 10);
    CHECK(guard.blocked("10.0.0.1"));
    CHECK_FALSE(guard.charge("10.0.0.1", 50));  // blocked: nothing changes
    // What charge() took is never handed over again (no echo between nodes).
    auto spent = guard.takeSpent(100);
    REQUIRE(spent.size() == 1);
    CHECK(spent[0].second == 4.0);
    // Credit is not given to a source not tracked here (its budget is full).
    CHECK_FALSE(guard.charge("10.0.0.9", -3));
    CHECK(guard.trackedSources() == 1);
}
