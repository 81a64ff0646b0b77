#include "provisioner/invite/page_limiter.h"

#include <algorithm>

namespace prov::invite {

PageLimiter::PageLimiter(int64_t per_minute, int64_t burst, size_t max_sources)
    : per_minute_(std::max<int64_t>(per_minute, 1)),
      capacity_(std::max<int64_t>(burst, 1) * kMicrosPerMinute),
      max_sources_(std::max<size_t>(max_sources, 1)) {}

void PageLimiter::refill(Bucket& b, int64_t now_us) const {
    if (now_us <= b.last_us) return;  // a clock that stepped back adds nothing
    // Capped before multiplying: a long idle spell cannot overflow.
    const int64_t elapsed = std::min(now_us - b.last_us, capacity_ / per_minute_ + 1);
    b.level = std::min(capacity_, b.level + elapsed * per_minute_);
    b.last_us = now_us;
}

void PageLimiter::prune(int64_t now_us) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        refill(it->second, now_us);
        it = it->second.level >= capacity_ ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() >= max_sources_) buckets_.clear();
}

bool PageLimiter::allow(const std::string& source, int64_t now_us) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(source);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_sources_) prune(now_us);
        it = buckets_.emplace(source, Bucket{capacity_, now_us}).first;
    }
    Bucket& b = it->second;
    refill(b, now_us);
    if (b.level < kMicrosPerMinute) return false;
    b.level -= kMicrosPerMinute;
    return true;
}

}  // namespace prov::invite
