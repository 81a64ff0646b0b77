#pragma once

// The rules of sign-in throttling, as pure functions of (row, now), tested on
// a fake clock; the rows live in the store (StoreTx::getThrottle), one for
// the source address ("source:<ip>"), and one for the name tried
// ("user:<name>") or, when the browser shows a device cookie for that name,
// for the device ("device:<hash>"), so that `provisioner user unthrottle`
// can clear them (sessions.cpp says which keys an attempt counts on).
//
// `failures` failed sign-ins in a run block the key for `first_block`
// seconds; every failure after that, once the block is over, blocks it again
// for twice as long, up to `max_block`. A run ends after `window` seconds
// with no failure and no block. Never a permanent lock: a blocked key is free again after
// at most max_block. A row whose run ended says nothing more: it is deleted
// (runEndedBefore) when a failure is written.

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

// "source:<ip>". An IPv6 address is keyed by its /64 ("source:2001:db8:1:2::/64"):
// one host usually holds a whole /64 and may send from any address in it. An
// IPv4-mapped IPv6 address ("::ffff:192.0.2.1") is the IPv4 address. Text
// that is no address is kept as it is (`unthrottle 2001:db8:1:2::/64`).
std::string sourceKey(const std::string& ip);
std::string userKey(const std::string& name);
// "device:" and the first 16 hex digits of `cookie_hash` (the device
// cookie's SHA-256).
std::string deviceKey(const std::string& cookie_hash);

// Seconds until `row` may try again; 0: not blocked.
int64_t retryAfter(const SignInThrottle& row, int64_t now);

// `row` after one more failure at `now` (`row` may be a fresh one with only
// its key set). The block it begins, if any, is blocked_until - now.
SignInThrottle afterFailure(SignInThrottle row, int64_t now, const Rules& rules);

// Rows whose max(last_failure_at, blocked_until) is at or before this time
// have ended their run: afterFailure would start them afresh, so deleting
// them changes nothing but the table's size.
int64_t runEndedBefore(int64_t now, const Rules& rules);

}  // namespace prov::throttle
