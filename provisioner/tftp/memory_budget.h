#pragma once

// The memory all TFTP transfers may hold at once, shared by the loops: each
// transfer takes what it keeps (its rendered file, if any, and its own
// bookkeeping) when it starts and gives it back when it ends. A transfer
// that would pass the budget is refused "busy" instead of growing the
// server; static files are read a block at a time and cost only the
// bookkeeping.

#include <atomic>
#include <cstdint>

namespace prov::tftp {

class MemoryBudget {
public:
    explicit MemoryBudget(uint64_t limit) : limit_(limit) {}
    // Takes `bytes`; false (nothing taken) when that would pass the limit.
    bool take(uint64_t bytes) {
        uint64_t used = used_.load(std::memory_order_relaxed);
        do {
            if (bytes > limit_ || used > limit_ - bytes) return false;
        } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
        return true;
    }
    void give(uint64_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }
    uint64_t used() const { return used_.load(std::memory_order_relaxed); }

private:
    const uint64_t limit_;
    std::atomic<uint64_t> used_{0};
};

}  // namespace prov::tftp
