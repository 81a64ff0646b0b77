#include "provisioner/inventory/sign_in_throttle.h"

#include <algorithm>

namespace prov::throttle {

std::string sourceKey(const std::string& ip) { return "source:" + ip; }
std::string userKey(const std::string& name) { return "user:" + name; }

int64_t retryAfter(const SignInThrottle& row, int64_t now) {
    return row.blocked_until > now ? row.blocked_until - now : 0;
}

SignInThrottle afterFailure(SignInThrottle row, int64_t now, const Rules& rules) {
    // A quiet window (counted from the end of the last block, so that the
    // longest block does not forgive by itself) ends the run: the next block
    // starts short again.
    if (row.failures == 0 || now - std::max(row.last_failure_at, row.blocked_until) >= rules.window) {
        row.failures = 0;
        row.blocks = 0;
        row.window_start = now;
    }
    ++row.failures;
    row.last_failure_at = now;
    if (row.failures >= rules.failures) {
        // The shift is bounded: past 20 doublings every block is max_block anyway.
        const int64_t doublings = std::min<int64_t>(row.blocks, 20);
        row.blocks = std::min<int64_t>(row.blocks + 1, 1000);
        row.blocked_until = now + std::min(rules.first_block << doublings, rules.max_block);
    }
    return row;
}

}  // namespace prov::throttle
