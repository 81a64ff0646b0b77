#include "provisioner/core/timer_queue.h"

namespace prov::net {

void TimerQueue::arm(int key, int64_t deadline) {
    Entry& e = keys_[key];
    e.deadline = deadline;
    if (e.queued == 0 || deadline < e.queued) {
        e.queued = deadline;
        heap_.emplace(deadline, key);
    }
}

void TimerQueue::cancel(int key) { keys_.erase(key); }

void TimerQueue::expire(int64_t now, const std::function<void(int)>& fire) {
    while (!heap_.empty() && heap_.top().first <= now) {
        const auto [deadline, key] = heap_.top();
        heap_.pop();
        auto it = keys_.find(key);
        if (it == keys_.end() || it->second.queued != deadline) continue;  // stale
        if (it->second.deadline > now) {
            // Moved later since it was queued: queue it where it is now.
            it->second.queued = it->second.deadline;
            heap_.emplace(it->second.deadline, key);
            continue;
        }
        keys_.erase(it);
        fire(key);
    }
}

}  // namespace prov::net
