#include <catch2/catch.hpp>

#include "provisioner/policy/auth_guard.h"

using prov::FakeClock;
using namespace prov::policy;

namespace {

AuthGuardOptions options(int failures = 3) {
    AuthGuardOptions o;
    o.max_failures = failures;
    o.window_seconds = 60;
    o.first_block_seconds = 60;
    o.max_block_seconds = 600;
    o.max_sources = 16;
    return o;
}

// Fails `n` times from `source`; the block the last failure started, if any.
std::optional<AuthBlock> fail(AuthGuard& g, const char* source, int n) {
    std::optional<AuthBlock> last;
    for (int i = 0; i < n; ++i) last = g.failure(source);
    return last;
}

}  // namespace

TEST_CASE("auth guard: max_failures within the window block the source, and only it") {
    FakeClock clock;
    AuthGuard g(options(), clock);
    CHECK_FALSE(fail(g, "192.0.2.1", 2));
    CHECK(g.retryAfter("192.0.2.1") == 0);
    const auto block = g.failure("192.0.2.1");
    REQUIRE(block);
    CHECK(block->source == "192.0.2.1");
    CHECK(block->seconds == 60);
    CHECK(block->failures == 3);
    CHECK(block->count == 1);
    CHECK(g.retryAfter("192.0.2.1") == 60);
    CHECK(g.retryAfter("192.0.2.2") == 0);  // another address is not affected
    clock.advanceMicros(59'500'000);
    CHECK(g.retryAfter("192.0.2.1") == 1);  // rounded up
    clock.advanceMicros(500'000);
    CHECK(g.retryAfter("192.0.2.1") == 0);
}

TEST_CASE("auth guard: failures spread wider than the window never block") {
    FakeClock clock;
    AuthGuard g(options(), clock);
    for (int i = 0; i < 20; ++i) {
        CHECK_FALSE(g.failure("192.0.2.1"));
        clock.advance(31);  // at most two in any 60 s
    }
    CHECK(g.retryAfter("192.0.2.1") == 0);
}

TEST_CASE("auth guard: failures while blocked change nothing, and the next block doubles, up to the longest") {
    FakeClock clock;
    AuthGuard g(options(), clock);
    REQUIRE(fail(g, "10.0.0.1", 3));
    CHECK_FALSE(fail(g, "10.0.0.1", 50));  // the caller refuses first; if it did not, still nothing
    CHECK(g.retryAfter("10.0.0.1") == 60);
    const int64_t expected[] = {120, 240, 480, 600, 600};
    for (const int64_t seconds : expected) {
        clock.advance(g.retryAfter("10.0.0.1"));
        REQUIRE(g.retryAfter("10.0.0.1") == 0);
        // A fresh start: the failures before the block do not count.
        CHECK_FALSE(fail(g, "10.0.0.1", 2));
        const auto block = g.failure("10.0.0.1");
        REQUIRE(block);
        CHECK(block->seconds == seconds);
    }
}

TEST_CASE("auth guard: after max_block_seconds without a block the series starts again") {
    FakeClock clock;
    AuthGuard g(options(), clock);
    REQUIRE(fail(g, "10.0.0.1", 3));
    clock.advance(60);
    REQUIRE(fail(g, "10.0.0.1", 3)->seconds == 120);
    clock.advance(120 + 600);
    const auto block = fail(g, "10.0.0.1", 3);
    REQUIRE(block);
    CHECK(block->seconds == 60);
    CHECK(block->count == 1);
}

TEST_CASE("auth guard: memory is bounded: the oldest source not blocked goes first") {
    FakeClock clock;
    AuthGuardOptions o = options(2);
    o.max_sources = 3;
    AuthGuard g(o, clock);
    REQUIRE(fail(g, "blocked", 2));
    clock.advance(1);
    g.failure("old");
    clock.advance(1);
    g.failure("newer");
    clock.advance(1);
    g.failure("newest");  // evicts "old"
    CHECK(g.trackedSources() == 3);
    CHECK(g.retryAfter("blocked") > 0);
    // "newer" keeps its failure: one more blocks it; "old" starts afresh.
    CHECK(g.failure("newer"));
    CHECK(g.retryAfter("blocked") > 0);
}

TEST_CASE("auth guard: when every source is blocked the block that ends first is dropped") {
    FakeClock clock;
    AuthGuardOptions o = options(1);
    o.max_sources = 2;
    AuthGuard g(o, clock);
    REQUIRE(g.failure("a"));
    clock.advance(10);
    REQUIRE(g.failure("b"));
    REQUIRE(g.failure("c"));  // "a" ends first: evicted
    CHECK(g.retryAfter("a") == 0);
    CHECK(g.retryAfter("b") > 0);
    CHECK(g.retryAfter("c") > 0);
}

TEST_CASE("auth guard: options out of range are clamped") {
    FakeClock clock;
    AuthGuardOptions o;
    o.max_failures = 0;
    o.window_seconds = 0;
    o.first_block_seconds = 0;
    o.max_block_seconds = 0;
    o.max_sources = 0;
    AuthGuard g(o, clock);
    const auto block = g.failure("x");
    REQUIRE(block);
    CHECK(block->seconds == 1);
}
