#pragma once

// Time as a dependency: logic asks a Clock, tests pass a FakeClock.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace prov {

class Clock {
public:
    virtual ~Clock() = default;
    // Wall-clock time in seconds since the Unix epoch.
    virtual int64_t nowSeconds() const = 0;
    // Monotonic time in microseconds, for durations only.
    virtual int64_t monotonicMicros() const = 0;
};

class SystemClock final : public Clock {
public:
    int64_t nowSeconds() const override {
        using namespace std::chrono;
        return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    }
    int64_t monotonicMicros() const override {
        using namespace std::chrono;
        return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
    }
};

class FakeClock final : public Clock {
public:
    explicit FakeClock(int64_t now = 1'700'000'000) : micros_(now * 1'000'000) {}
    int64_t nowSeconds() const override { return micros_.load() / 1'000'000; }
    int64_t monotonicMicros() const override { return micros_.load(); }
    void advance(int64_t seconds) { micros_ += seconds * 1'000'000; }
    void advanceMicros(int64_t micros) { micros_ += micros; }

private:
    std::atomic<int64_t> micros_;
};

}  // namespace prov
