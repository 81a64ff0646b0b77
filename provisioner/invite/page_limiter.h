#pragma once

// The per-address limit on the invitation pages (/invite/...): a token
// bucket for each client address, `per_minute` tokens a minute up to
// `burst`. A request takes one; one without is refused before the store is
// touched, so a client looping on the pages costs a map lookup each.
//
//   PageLimiter limiter(10, 20);
//   if (!limiter.allow(peer, clock.monotonicMicros())) return refusal;
//
// At most `max_sources` addresses are remembered: past that, the full
// buckets (idle addresses) are forgotten, and if none is full, all are. An
// attacker who owns that many addresses gains nothing from the reset he could
// not get from the addresses themselves. Thread safe.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace prov::invite {

class PageLimiter {
  public:
    PageLimiter(int64_t per_minute, int64_t burst, size_t max_sources = 4096);

    // True, taking a token from `source`'s bucket, when it has one at `now_us`
    // (a monotonic clock).
    bool allow(const std::string& source, int64_t now_us);

  private:
    struct Bucket {
        int64_t level;  // in units of 1/kMicrosPerMinute of a token
        int64_t last_us;
    };
    static constexpr int64_t kMicrosPerMinute = 60'000'000;

    void refill(Bucket& b, int64_t now_us) const;
    void prune(int64_t now_us);

    int64_t per_minute_;
    int64_t capacity_;
    size_t max_sources_;
    std::mutex mutex_;  // guards buckets_
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace prov::invite
