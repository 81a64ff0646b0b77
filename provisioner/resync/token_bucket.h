#pragma once

// The push rate limit (resync.rate): a token bucket on a caller's clock.
// Tokens come at `rate` a second up to `burst`; a push takes one. A push
// with no token waits for one (waitUs), it is never dropped: the caller
// keeps it queued.
//
//   TokenBucket bucket(10, 1, now);
//   if (bucket.tryTake(now)) push(); else sleep(bucket.waitUs(now));
//
// With burst 1 the pushes are paced 1/rate apart, so no window of one
// second holds more than `rate` of them (a site does not reboot at once).

#include <cstdint>

namespace prov::resync {

class TokenBucket {
  public:
    // rate: tokens a second, at least 1; burst: the most held, at least 1.
    // Starts full.
    TokenBucket(int64_t rate, int64_t burst, int64_t now_us);

    // True, taking a token, when one is there at `now_us`.
    bool tryTake(int64_t now_us);
    // Whether tryTake would succeed, taking nothing.
    bool available(int64_t now_us);
    // Microseconds from `now_us` until a token is there; 0 when one is.
    int64_t waitUs(int64_t now_us);

  private:
    void refill(int64_t now_us);

    // Tokens in millionths, so that a rate of up to 10^6 a second refills
    // by a whole number every microsecond.
    static constexpr int64_t kUnit = 1'000'000;
    int64_t rate_;
    int64_t capacity_;
    int64_t level_;
    int64_t last_us_;
};

}  // namespace prov::resync
