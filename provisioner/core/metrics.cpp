#include "provisioner/core/metrics.h"

#include <algorithm>

namespace prov::metrics {

size_t threadShard() {
    static std::atomic<size_t> next{0};
    // Taken once per thread; the loops and workers live as long as the server.
    thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
}

Counters::Counters(size_t cells)
    : cells_(cells),
      lines_per_shard_((cells + kPerLine - 1) / kPerLine),
      lines_(new Line[kShards * std::max<size_t>(lines_per_shard_, 1)]) {
    for (size_t s = 0; s < kShards; ++s) {
        for (size_t c = 0; c < cells_; ++c) at(s, c).store(0, std::memory_order_relaxed);
    }
}

void Counters::add(size_t cell, uint64_t n) noexcept {
    if (cell >= cells_) return;
    at(threadShard(), cell).fetch_add(n, std::memory_order_relaxed);
}

uint64_t Counters::value(size_t cell) const noexcept {
    if (cell >= cells_) return 0;
    uint64_t total = 0;
    for (size_t s = 0; s < kShards; ++s) total += at(s, cell).load(std::memory_order_relaxed);
    return total;
}

Histogram::Histogram(std::vector<int64_t> bounds, size_t series)
    : bounds_(std::move(bounds)), series_(series), cells_(series * (bounds_.size() + 2)) {}

void Histogram::observe(size_t series, int64_t value) noexcept {
    if (series >= series_) return;
    if (value < 0) value = 0;
    // The first bound at or above the value; past the last one: +Inf. A
    // dozen bounds: a linear scan is as quick as a binary search.
    size_t bucket = 0;
    while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
    const size_t base = series * stride();
    cells_.add(base + bucket);
    cells_.add(base + bounds_.size() + 1, static_cast<uint64_t>(value));
}

Histogram::Snapshot Histogram::snapshot(size_t series) const {
    Snapshot s;
    if (series >= series_) return s;
    const size_t base = series * stride();
    uint64_t running = 0;
    s.cumulative.reserve(bounds_.size());
    // Buckets hold their own observations; Prometheus wants each to count
    // everything at or below it.
    for (size_t b = 0; b < bounds_.size(); ++b) {
        running += cells_.value(base + b);
        s.cumulative.push_back(running);
    }
    s.count = running + cells_.value(base + bounds_.size());
    s.sum = cells_.value(base + bounds_.size() + 1);
    return s;
}

LabelSlots::LabelSlots(size_t capacity, std::string overflow)
    : capacity_(std::max<size_t>(capacity, 2)), names_(new std::string[capacity_]) {
    names_[capacity_ - 1] = std::move(overflow);
}

size_t LabelSlots::slot(std::string_view value) {
    const size_t used = used_.load(std::memory_order_acquire);
    for (size_t i = 0; i < used; ++i) {
        if (names_[i] == value) return i;
    }
    // Full: every value not there shares the overflow slot, without the lock.
    if (used >= capacity_ - 1) return overflowSlot();
    std::lock_guard lock(adding_);
    // Another thread may have added it (or filled the table) meanwhile.
    const size_t now = used_.load(std::memory_order_relaxed);
    for (size_t i = used; i < now; ++i) {
        if (names_[i] == value) return i;
    }
    if (now >= capacity_ - 1) return overflowSlot();
    names_[now] = std::string(value);
    // Readers see the name before the count that covers it.
    used_.store(now + 1, std::memory_order_release);
    return now;
}

const std::string& LabelSlots::name(size_t slot) const {
    if (slot < used()) return names_[slot];
    return names_[capacity_ - 1];
}

}  // namespace prov::metrics
