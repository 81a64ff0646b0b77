#pragma once

// Failed authentication on the admin API, per source address: a source that
// fails `max_failures` times within `window_seconds` is blocked, and every
// request it makes while blocked is answered 429 with Retry-After, before its
// token is even looked at. Nothing sleeps: a blocked source costs one lookup.
//
//   policy::AuthGuard guard(options, clock);
//   if (int64_t wait = guard.retryAfter(peer)) return tooManyRequests(wait);
//   if (!valid(token))
//       if (auto block = guard.failure(peer)) log(block);   // one line a block
//
// A correct token from a blocked source is refused all the same: were it let
// through, the block would stop nothing (a guesser learns of its hit from the
// 200), so it only slows every guess down to the window's pace. An admin
// locked out with the guesser (same address) uses the CLI on the server, or
// waits. A success does not clear failures: a valid token of any role must not
// buy more guesses at another.
//
// The rules, per source:
//  1. A block starts with the failure that makes max_failures within
//     window_seconds (a sliding window over the source's last failures).
//  2. The first block lasts first_block_seconds; each next one of the series
//     twice the one before, at most max_block_seconds. The series starts again
//     once max_block_seconds have passed since the last block ended.
//  3. Failures while blocked are not counted (they are not even made: the
//     caller refuses first). When a block ends the source starts afresh.
//  4. At most max_sources sources are kept; a new one evicts the one seen
//     longest ago among those not blocked, or, when all are, the one whose
//     block ends first.
// Sources are opaque strings (the peer address as the server writes it). Thread safe.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "provisioner/core/clock.h"

namespace prov::policy {

struct AuthGuardOptions {
    int max_failures = 10;
    int64_t window_seconds = 60;
    int64_t first_block_seconds = 60;
    int64_t max_block_seconds = 3600;
    size_t max_sources = 4096;
};

struct AuthBlock {
    std::string source;
    int64_t seconds = 0;  // how long it lasts
    int failures = 0;     // within the window, the last one included
    int count = 0;        // its number in the source's series: 1, 2, ...
};

class AuthGuard {
public:
    // Options out of range are clamped (every count and length at least 1).
    AuthGuard(AuthGuardOptions options, const Clock& clock);

    // Seconds until `source`'s block ends, rounded up; 0 when it is not blocked.
    int64_t retryAfter(std::string_view source) const;
    // `source` presented credentials that did not verify. The block, when this
    // failure started one.
    std::optional<AuthBlock> failure(std::string_view source);

    size_t trackedSources() const;

private:
    struct Source {
        std::vector<int64_t> failures;  // micros, the last max_failures, oldest first
        int64_t seen_us = 0;
        int64_t blocked_until = 0;  // micros; the end of the current or last block
        int blocks = 0;             // in the current series
    };
    using Map = std::unordered_map<std::string, Source>;

    Map::iterator touch(std::string_view source, int64_t now);
    void evictOne(int64_t now);

    const AuthGuardOptions options_;
    const Clock& clock_;
    mutable std::mutex mutex_;
    Map sources_;
};

}  // namespace prov::policy
