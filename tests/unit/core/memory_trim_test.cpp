// When the once-a-second chore gives freed memory back: after a large drop
// in open connections from their peak since the last time, not on every
// close, and not while the count climbs.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "provisioner/core/memory_trim.h"

using prov::TrimAfterDrop;

TEST_CASE("trim after drop: only once the count has fallen by the threshold from its peak") {
    TrimAfterDrop trim(100);
    CHECK_FALSE(trim.observe(0));
    CHECK_FALSE(trim.observe(500));
    CHECK_FALSE(trim.observe(4000));   // climbing
    CHECK_FALSE(trim.observe(3950));   // a small drop
    CHECK_FALSE(trim.observe(3901));
    CHECK(trim.observe(3900));         // 100 below the peak
    CHECK_FALSE(trim.observe(3850));   // the peak starts again from 3900
    CHECK(trim.observe(10));
    CHECK_FALSE(trim.observe(10));     // nothing freed since
    CHECK_FALSE(trim.observe(0));
}

TEST_CASE("trim after drop: a steady churn below the threshold never trims") {
    TrimAfterDrop trim(128);
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(trim.observe(1000 + (i % 2 ? 60 : -60)));
}

TEST_CASE("trim after drop: a new peak after a trim is measured from anew") {
    TrimAfterDrop trim(50);
    CHECK_FALSE(trim.observe(200));
    CHECK(trim.observe(100));
    CHECK_FALSE(trim.observe(300));
    CHECK_FALSE(trim.observe(260));
    CHECK(trim.observe(250));
}

#if defined(__SANITIZE_ADDRESS__)
#define PROV_OWN_MALLOC 1  // AddressSanitizer's allocator: nothing of glibc's to trim
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROV_OWN_MALLOC 1
#endif
#endif

#if !defined(PROV_OWN_MALLOC) && defined(__GLIBC__)
namespace {

long rssKib() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace
#endif

TEST_CASE("release free memory: pages freed in the middle of the heap go back to the system") {
#if defined(PROV_OWN_MALLOC) || !defined(__GLIBC__)
    SUCCEED("not glibc's malloc: nothing to trim");
#else
    // 40 KiB blocks (mbedTLS record buffers are about 16.6 KiB, a connection
    // has two), each followed by a small one that stays: freed, they sit in
    // the middle of the heap, where free() alone never returns them.
    std::vector<char*> big;
    std::vector<void*> pins;
    for (int i = 0; i < 1600; ++i) {
        char* b = static_cast<char*>(std::malloc(40 * 1024));
        std::memset(b, 1, 40 * 1024);
        big.push_back(b);
        pins.push_back(std::malloc(64));
    }
    for (char* b : big) std::free(b);
    const long before = rssKib();
    CHECK(prov::releaseFreeMemory());
    const long after = rssKib();
    INFO("RSS " << before << " KiB before, " << after << " KiB after");
    CHECK(before - after > 32 * 1024);  // of the 64 MiB freed
    for (void* p : pins) std::free(p);
#endif
}
