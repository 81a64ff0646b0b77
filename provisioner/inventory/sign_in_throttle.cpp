#include "provisioner/inventory/sign_in_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace prov::throttle {

std::string sourceKey(const std::string& ip) {
    unsigned char a[16];
    if (ip.find(':') == std::string::npos || inet_pton(AF_INET6, ip.c_str(), a) != 1) return "source:" + ip;
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN] = {};
    if (std::memcmp(a, kMapped, sizeof kMapped) == 0) {
        inet_ntop(AF_INET, a + 12, text, sizeof text);
        return std::string("source:") + text;
    }
    // A guesser with a /64 has 2^64 addresses: one key for all of them.
    std::memset(a + 8, 0, 8);
    inet_ntop(AF_INET6, a, text, sizeof text);
    return std::string("source:") + text + "/64";
}

std::string userKey(const std::string& name) { return "user:" + name; }

std::string deviceKey(const std::string& cookie_hash) { return "device:" + cookie_hash.substr(0, 16); }

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

// The same test as afterFailure's quiet window: now - max(..) >= window.
int64_t runEndedBefore(int64_t now, const Rules& rules) { return now - rules.window; }

}  // namespace prov::throttle
