#include "provisioner/resync/token_bucket.h"

#include <algorithm>

namespace prov::resync {

TokenBucket::TokenBucket(int64_t rate, int64_t burst, int64_t now_us)
    : rate_(std::max<int64_t>(rate, 1)),
      capacity_(std::max<int64_t>(burst, 1) * kUnit),
      level_(capacity_),
      last_us_(now_us) {}

void TokenBucket::refill(int64_t now_us) {
    if (now_us <= last_us_) return;  // a clock that stepped back adds nothing
    // Capped before multiplying: a long idle spell cannot overflow.
    const int64_t elapsed = std::min(now_us - last_us_, capacity_ / rate_ + 1);
    level_ = std::min(capacity_, level_ + elapsed * rate_);
    last_us_ = now_us;
}

bool TokenBucket::available(int64_t now_us) {
    refill(now_us);
    return level_ >= kUnit;
}

bool TokenBucket::tryTake(int64_t now_us) {
    if (!available(now_us)) return false;
    level_ -= kUnit;
    return true;
}

int64_t TokenBucket::waitUs(int64_t now_us) {
    refill(now_us);
    if (level_ >= kUnit) return 0;
    return (kUnit - level_ + rate_ - 1) / rate_;  // rounded up: the token is there when it says
}

}  // namespace prov::resync
