#pragma once

// The rules of sign-in throttling, as pure functions of (row, now), tested on
// a fake clock; the rows live in the store (StoreTx::getThrottle), one for
// the source address ("source:<ip>") and one for the name tried
// ("user:<name>"), so that `provisioner user unthrottle` can clear them.
//
// `failures` failed sign-ins in a run block the key for `first_block`
// seconds; every failure after that, once the block is over, blocks it again
// for twice as long, up to `max_block`. A run ends after `window` seconds
// with no failure and no block. Never a permanent lock: a blocked key is free again after
// at most max_block.

#include <cstdint>
#include <string>

#include "provisioner/model/records.h"

namespace prov::throttle {

struct Rules {
    int64_t failures = 5;
    int64_t window = 15 * 60;
    int64_t first_block = 30;
    int64_t max_block = 15 * 60;
};

std::string sourceKey(const std::string& ip);
std::string userKey(const std::string& name);

// Seconds until `row` may try again; 0: not blocked.
int64_t retryAfter(const SignInThrottle& row, int64_t now);

// `row` after one more failure at `now` (`row` may be a fresh one with only
// its key set). The block it begins, if any, is blocked_until - now.
SignInThrottle afterFailure(SignInThrottle row, int64_t now, const Rules& rules);

}  // namespace prov::throttle
