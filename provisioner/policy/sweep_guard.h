#pragma once

// The MAC-sweep defence: per source address, how many made-up MACs it may try
// before it is blocked. A phone's files are named by its MAC, so a client that
// guesses MACs fetches files of devices the store does not know; SweepGuard
// counts those misses per source and blocks a source that spends its budget.
// It is NAT-aware: hundreds of real phones behind one address fetch known
// files (hits), which earn budget back, so their few unknown neighbours never
// block them. It reads no store or socket; the service tells it what each
// fetch was. Thread safe; memory bounded by SweepOptions::max_sources.
//
//   policy::SweepGuard guard(options, clock);
//   if (guard.blocked(peer_ip)) return refuse();           // before the store
//   if (known) guard.hit(peer_ip, mac);
//   else if (auto block = guard.miss(peer_ip, mac))
//       log.write(LogPriority::kWarning, policy::SweepGuard::blockEvent(*block));  // one line a block
//   if (!known && guard.mayRecordUnknown(peer_ip)) recordUnknown(mac);
//
// The rules, per source:
//  1. A miss of a MAC among the source's last kRecentMisses distinct missed
//     MACs is free: an unknown phone's boot fetches 2-4 files of its MAC and
//     costs 1. A miss of another MAC costs 1 of the budget.
//  2. The miss that leaves less than 1 of the budget starts a block: with a
//     full budget, the budget-th distinct miss. miss() returns that Block once.
//  3. The budget refills at refill_per_minute. A hit of a MAC not among the
//     source's last kRecentHits hit MACs earns earn_per_hit, at most `budget`
//     a minute in all, never above `budget`. Hits need the MAC so that a
//     client knowing one real MAC (its own phone's) cannot fetch that file
//     again and again to buy guesses.
//  4. While blocked, misses and hits change nothing. The first block lasts
//     first_block_seconds; each next block of the source lasts twice the
//     one before, at most max_block_seconds. When a block ends the source has
//     a fresh budget. Once max_block_seconds have passed since its last block
//     ended, the doubling starts again from first_block_seconds.
//  5. mayRecordUnknown lets a source record at most unknown_per_hour new
//     unknown devices in a burst, then one each 3600/unknown_per_hour seconds;
//     a blocked source records none.
//  6. At most max_sources sources are tracked (about 0.5 KiB each). A new one
//     evicts the least recently seen source that is not blocked; only when
//     every tracked source is blocked, the one whose block ends soonest.
//     hit() and blocked() never add a source: an untracked source has a full
//     budget, so one-phone sources cost no memory.
// Sources are opaque keys, compared as strings (the peer address as the
// server formats it). An IPv6 client may take many addresses; keying by its
// /64 would catch that, at the price of treating a whole segment as one NAT.

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/security_event.h"

namespace prov::policy {

struct SweepOptions {
    int budget = 64;               // distinct unknown MACs a source may miss before it is blocked
    double refill_per_minute = 6;  // budget regained over time
    int earn_per_hit = 1;          // a hit of a known device's file gives back this much, capped
    int64_t first_block_seconds = 60;
    int64_t max_block_seconds = 3600;  // each new block of the same source doubles, up to this
    size_t max_sources = 65536;        // memory bound on tracked sources
    int unknown_per_hour = 16;         // new unknown devices one source may get recorded per hour
};

// A block that a miss started.
struct Block {
    std::string source;
    int64_t seconds = 0;  // how long it lasts
    int misses = 0;       // distinct unknown MACs since the source's budget was last fresh
    int count = 0;        // its number in the source's back-off series: 1, 2, ... (rule 4)
};

class SweepGuard {
public:
    static constexpr size_t kRecentMisses = 32;
    static constexpr size_t kRecentHits = 8;

    // Options out of range are clamped to the nearest sensible value (budget,
    // max_sources and the block lengths at least 1, rates at least 0).
    SweepGuard(SweepOptions options, const Clock& clock);

    // Whether `source` is blocked now. A lookup only: adds and changes nothing.
    bool blocked(std::string_view source) const;
    // `source` fetched a MAC-named file whose MAC the store does not know.
    // Returns the block when this miss started one, nullopt otherwise.
    std::optional<Block> miss(std::string_view source, std::string_view mac);
    // `source` fetched a file of a known device, `mac`.
    void hit(std::string_view source, std::string_view mac);
    // Whether `source` may record one more unknown device now; a true answer
    // counts against its allowance.
    bool mayRecordUnknown(std::string_view source);

    size_t trackedSources() const;

    // Several nodes on one store (service/sweep_merge.h) share each source's
    // budget. takeSpent() hands over what each source spent here since the
    // last call (distinct misses charged, less what hits earned back; at most
    // `max` sources, the rest at the next call); charge() takes what another
    // node's guard spent from the source's budget here, as if missed or earned
    // here, and returns the block that starts (rule 2), or nullopt. Spending
    // that reaches a blocked source changes nothing (rule 4), and what
    // charge() takes is never handed over again.
    std::vector<std::pair<std::string, double>> takeSpent(size_t max);
    std::optional<Block> charge(std::string_view source, double spent);

    // The one security log line for a block (docs/security-log.md), which
    // deploy/fail2ban/filter.d/provisioner-sweep.conf matches:
    // "event=sweep_block src=<source> seconds=<N> unknown_macs=<K> block=<C>".
    static SecurityEvent blockEvent(const Block& block);

private:
    // The last N distinct keys, oldest overwritten first; linear search over a
    // few words is cheaper than any hash set of this size.
    template <size_t N>
    struct RecentKeys {
        uint64_t keys[N] = {};
        size_t size = 0;
        size_t next = 0;
        // False when `key` is already there.
        bool insert(uint64_t key);
    };

    struct Source {
        const std::string* key = nullptr;  // the map's key, stable for the entry's life
        double tokens = 0;
        int64_t refilled_at = 0;  // micros
        int misses = 0;
        RecentKeys<kRecentMisses> recent_misses;
        RecentKeys<kRecentHits> recent_hits;
        int64_t earn_window_start = 0;
        double earned = 0;          // credited by hits since earn_window_start
        bool in_block = false;      // in blocked_ rather than idle_
        int64_t blocked_until = 0;  // micros: the end of the current or last block
        int blocks = 0;             // in the current back-off series
        double unknown_tokens = 0;
        int64_t unknown_refilled_at = 0;
        std::list<Source*>::iterator lru;  // in idle_ when !in_block
        double unmerged = 0;  // spent since the last takeSpent()
        bool in_unmerged = false;  // listed in unmerged_
    };

    struct KeyHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Map = std::unordered_map<std::string, Source, KeyHash, std::equal_to<>>;

    Source& touch(std::string_view source, int64_t now);
    void evictOne();
    void refill(Source& s, int64_t now) const;
    void earn(Source& s, int64_t now);
    Block startBlock(Source& s, int64_t now);
    void endBlockIfOver(Source& s, int64_t now);
    void freshBudget(Source& s, int64_t now) const;
    void spend(Source& s, double amount);

    const SweepOptions options_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    Map sources_;
    std::list<Source*> idle_;  // sources not blocked, most recently seen first
    // Blocked sources by the end of their block; a block already over stays
    // until its source is seen again or evicted.
    std::set<std::pair<int64_t, Source*>> blocked_;
    // Keys of sources with spending not yet taken (takeSpent), each once; a
    // source evicted meanwhile is skipped.
    std::vector<std::string> unmerged_;
};

}  // namespace prov::policy
