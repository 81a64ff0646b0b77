#include "provisioner/resync/token_bucket.h"

#include <catch2/catch.hpp>
#include <vector>

using prov::resync::TokenBucket;

TEST_CASE("burst 1 paces takes 1/rate apart and says how long to wait") {
    TokenBucket b(5, 1, 0);
    CHECK(b.tryTake(0));
    CHECK_FALSE(b.tryTake(0));
    CHECK(b.waitUs(0) == 200'000);
    CHECK(b.waitUs(150'000) == 50'000);
    CHECK_FALSE(b.tryTake(199'999));
    CHECK(b.tryTake(200'000));
    // Idle for a long while: one token, not a pile.
    CHECK(b.tryTake(10'000'000));
    CHECK_FALSE(b.tryTake(10'000'000));
}

TEST_CASE("no one-second window holds more than `rate` takes, whoever asks how often") {
    TokenBucket b(10, 1, 0);
    std::vector<int64_t> taken;
    for (int64_t t = 0; t <= 5'000'000; t += 7'000) {  // a busy caller, every 7 ms
        if (b.tryTake(t)) taken.push_back(t);
    }
    CHECK(taken.size() >= 48);
    for (size_t i = 0; i < taken.size(); ++i) {
        size_t in_window = 0;
        for (size_t j = i; j < taken.size() && taken[j] < taken[i] + 1'000'000; ++j) ++in_window;
        CHECK(in_window <= 10);
    }
}

TEST_CASE("a burst allows that many at once, then the rate") {
    TokenBucket b(2, 3, 0);
    CHECK(b.tryTake(0));
    CHECK(b.tryTake(0));
    CHECK(b.tryTake(0));
    CHECK_FALSE(b.available(0));
    CHECK(b.waitUs(0) == 500'000);
    CHECK(b.tryTake(500'000));
}

TEST_CASE("a clock that steps back adds no token") {
    TokenBucket b(1, 1, 1'000'000);
    CHECK(b.tryTake(1'000'000));
    CHECK_FALSE(b.tryTake(0));
    CHECK_FALSE(b.tryTake(1'500'000));
    CHECK(b.tryTake(2'000'000));
}
