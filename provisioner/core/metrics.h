#pragma once

// Counters and histograms for the server's /metrics, cheap enough for the
// phones' hot path. A count is one relaxed atomic add on the shard of the
// calling thread: no lock, and no cache line that threads of other shards
// write (a boot storm counts from every event loop at once). A scrape sums
// the shards, so it may read a count a moment old; each cell on its own is
// never torn or lost.
//
//   metrics::Counters fetches(12);          // one cell per label combination
//   fetches.add(cell);                      // from any thread
//   uint64_t n = fetches.value(cell);       // the sum over the shards
//
//   metrics::Histogram latency({500, 1000, 5000}, 3);   // bounds in µs; 3 series
//   latency.observe(series, 740);
//   auto s = latency.snapshot(series);      // cumulative buckets, +Inf, sum, count
//
// Label values are fixed by the caller (small enums turned into cells), or
// interned once into a bounded table (LabelSlots) for values only known at
// run time, such as vendors: no map is searched under a lock per count.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prov::metrics {

inline constexpr size_t kShards = 16;

// The shard this thread counts into: threads take the shards in turn at
// their first count (more threads than shards share, still correctly).
size_t threadShard();

class Counters {
  public:
    explicit Counters(size_t cells);
    Counters(const Counters&) = delete;
    Counters& operator=(const Counters&) = delete;

    // A cell out of range is ignored.
    void add(size_t cell, uint64_t n = 1) noexcept;
    uint64_t value(size_t cell) const noexcept;
    size_t size() const { return cells_; }

  private:
    static constexpr size_t kPerLine = 8;  // 64-byte lines of 8-byte counters
    struct alignas(64) Line {
        std::atomic<uint64_t> v[kPerLine];
    };
    std::atomic<uint64_t>& at(size_t shard, size_t cell) const noexcept {
        return lines_[shard * lines_per_shard_ + cell / kPerLine].v[cell % kPerLine];
    }

    size_t cells_;
    size_t lines_per_shard_;
    std::unique_ptr<Line[]> lines_;
};

// Observations in whole units (microseconds, bytes) counted into fixed
// buckets, for `series` label combinations. A bucket counts the
// observations less than or equal to its bound (Prometheus' `le`); one
// above every bound counts only in +Inf.
class Histogram {
  public:
    // `bounds` ascending.
    Histogram(std::vector<int64_t> bounds, size_t series);

    // A negative value counts as 0; a series out of range is ignored.
    void observe(size_t series, int64_t value) noexcept;

    struct Snapshot {
        std::vector<uint64_t> cumulative;  // one per bound, each counting those at or below it
        uint64_t count = 0;                // every observation: the +Inf bucket
        uint64_t sum = 0;                  // of the observed values
    };
    // Count and buckets agree with each other (count is their total); the
    // sum may include an observation the buckets missed by a moment.
    Snapshot snapshot(size_t series) const;
    const std::vector<int64_t>& bounds() const { return bounds_; }
    size_t series() const { return series_; }

  private:
    size_t stride() const { return bounds_.size() + 2; }  // buckets, +Inf, sum
    std::vector<int64_t> bounds_;
    size_t series_;
    Counters cells_;
};

// Label values learnt at run time, each given a slot once: slot() finds a
// value without a lock; only a value's first sight takes one. At most
// `capacity` values: past that, values share the overflow slot (the last),
// named `overflow`, so a label's series stay bounded whatever is seen.
class LabelSlots {
  public:
    LabelSlots(size_t capacity, std::string overflow);

    size_t slot(std::string_view value);
    size_t capacity() const { return capacity_; }
    size_t overflowSlot() const { return capacity_ - 1; }
    // How many slots before the overflow one hold a value.
    size_t used() const { return used_.load(std::memory_order_acquire); }
    // The value of a slot below used(), or the overflow name.
    const std::string& name(size_t slot) const;

  private:
    size_t capacity_;
    std::unique_ptr<std::string[]> names_;  // written once each, before used_ covers them
    std::atomic<size_t> used_{0};
    std::mutex adding_;
};

}  // namespace prov::metrics
