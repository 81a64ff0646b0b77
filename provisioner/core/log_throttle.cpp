#include "provisioner/core/log_throttle.h"

#include <algorithm>

namespace prov {

namespace {

LogThrottleOptions clamped(LogThrottleOptions o) {
    o.lines = std::max<int64_t>(o.lines, 1);
    o.interval_seconds = std::clamp<int64_t>(o.interval_seconds, 1, 86400);
    o.max_kinds = std::max<size_t>(o.max_kinds, 1);
    return o;
}

}  // namespace

LogThrottle::LogThrottle(const Clock& clock, LogThrottleOptions options)
    : clock_(clock), options_(clamped(options)) {}

bool LogThrottle::over(const Window& w, int64_t now) const {
    return now - w.start_us >= options_.interval_seconds * 1'000'000;
}

void LogThrottle::close(std::string_view kind, const Window& w) {
    if (w.suppressed > 0) ended_.push_back(Summary{std::string(kind), w.suppressed, options_.interval_seconds});
}

bool LogThrottle::admit(std::string_view kind) {
    const int64_t now = clock_.monotonicMicros();
    std::lock_guard lock(mutex_);
    auto it = windows_.find(kind);
    if (it == windows_.end()) {
        if (windows_.size() >= options_.max_kinds) return true;  // uncounted: see the header
        it = windows_.emplace(std::string(kind), Window{now, 0, 0}).first;
    } else if (over(it->second, now)) {
        close(kind, it->second);
        it->second = Window{now, 0, 0};
    }
    Window& w = it->second;
    if (w.admitted < options_.lines) {
        ++w.admitted;
        return true;
    }
    ++w.suppressed;
    return false;
}

std::vector<LogThrottle::Summary> LogThrottle::takeSummaries() {
    const int64_t now = clock_.monotonicMicros();
    std::lock_guard lock(mutex_);
    // Ended windows are dropped: the kind's next line starts a fresh one, and
    // a kind no longer logged costs nothing.
    for (auto it = windows_.begin(); it != windows_.end();) {
        if (over(it->second, now)) {
            close(it->first, it->second);
            it = windows_.erase(it);
        } else {
            ++it;
        }
    }
    std::vector<Summary> out;
    out.swap(ended_);
    return out;
}

}  // namespace prov
