#pragma once

// One deadline per key (a socket), kept in a min-heap. Deadlines that move
// later (every ACK, every request on a keep-alive connection) cost nothing:
// the heap keeps the earlier entry and, when it comes due, finds the key's
// deadline has moved and queues it again. Only a deadline that moves earlier
// pushes a new entry; stale entries are skipped. Single-threaded: owned by
// one event loop. Times are whatever unit the caller uses (microseconds).

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace prov::net {

class TimerQueue {
public:
    // Sets (or moves) `key`'s deadline.
    void arm(int key, int64_t deadline);
    void cancel(int key);
    bool armed(int key) const { return keys_.count(key) != 0; }
    // The earliest deadline queued, or -1 when there is none. It may be a
    // stale entry's: waking for it costs one turn, never a missed deadline.
    int64_t next() const { return heap_.empty() ? -1 : heap_.top().first; }
    // Calls fire(key) for every key whose deadline is at or before `now`,
    // earliest first; the key is disarmed before its call (fire may arm it
    // again, or cancel others).
    void expire(int64_t now, const std::function<void(int)>& fire);
    size_t size() const { return keys_.size(); }

private:
    struct Entry {
        int64_t deadline = 0;
        int64_t queued = 0;  // the deadline of this key's entry in heap_, 0 if none
    };
    using Item = std::pair<int64_t, int>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap_;
    std::unordered_map<int, Entry> keys_;
};

}  // namespace prov::net
