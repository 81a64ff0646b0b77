#pragma once

// Giving freed memory back to the system. glibc keeps what a program frees
// for its next allocations: after a flood of connections (a TLS connection
// holds about 33 KiB of mbedTLS record buffers) the process would keep its
// peak size for good. malloc_trim(0) returns the free pages of every arena;
// it walks them all and takes each arena's lock, so it is called after a
// large drop, not on every close.
//
//   TrimAfterDrop trim(128);
//   // once a second:
//   if (trim.observe(open_connections)) releaseFreeMemory();

#include <cstdint>

namespace prov {

// Returns the free memory of every malloc arena to the system (glibc's
// malloc_trim); elsewhere nothing. True when some was returned.
bool releaseFreeMemory();

// When a load (open connections) has fallen by at least `min_drop` from
// the highest it reached since the last trim. Not thread-safe: one caller
// (a once-a-second chore).
class TrimAfterDrop {
public:
    explicit TrimAfterDrop(int64_t min_drop) : min_drop_(min_drop) {}

    // True when it is time to trim; the peak then starts again from `load`.
    bool observe(int64_t load);

private:
    int64_t min_drop_;
    int64_t peak_ = 0;
};

}  // namespace prov
