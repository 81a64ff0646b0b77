#include <catch2/catch.hpp>

#include <vector>

#include "provisioner/core/timer_queue.h"

using prov::net::TimerQueue;

namespace {

std::vector<int> fired(TimerQueue& q, int64_t now) {
    std::vector<int> out;
    q.expire(now, [&](int key) { out.push_back(key); });
    return out;
}

}  // namespace

TEST_CASE("timer queue: keys fire once, earliest first, when due") {
    TimerQueue q;
    q.arm(3, 300);
    q.arm(1, 100);
    q.arm(2, 200);
    CHECK(q.next() == 100);
    CHECK(fired(q, 99).empty());
    CHECK(fired(q, 250) == std::vector<int>{1, 2});
    CHECK(fired(q, 250).empty());
    CHECK(q.armed(3));
    CHECK(fired(q, 1000) == std::vector<int>{3});
    CHECK(q.size() == 0);
    CHECK(q.next() == -1);
}

TEST_CASE("timer queue: a deadline moved later fires at the later time only") {
    TimerQueue q;
    q.arm(7, 100);
    q.arm(7, 500);  // an ACK moved it on
    CHECK(q.next() == 100);  // the old entry stays queued ...
    CHECK(fired(q, 200).empty());  // ... and is requeued when it comes due
    CHECK(q.next() == 500);
    CHECK(fired(q, 499).empty());
    CHECK(fired(q, 500) == std::vector<int>{7});
}

TEST_CASE("timer queue: a deadline moved earlier fires at the earlier time, once") {
    TimerQueue q;
    q.arm(7, 500);
    q.arm(7, 100);
    CHECK(fired(q, 100) == std::vector<int>{7});
    CHECK(fired(q, 1000).empty());  // the entry for 500 is stale
}

TEST_CASE("timer queue: cancelled keys never fire, a re-armed one fires at its new time") {
    TimerQueue q;
    q.arm(1, 100);
    q.arm(2, 100);
    q.cancel(1);
    CHECK(fired(q, 100) == std::vector<int>{2});
    q.arm(1, 300);  // the number is reused (a new socket)
    CHECK(fired(q, 200).empty());
    CHECK(fired(q, 300) == std::vector<int>{1});
}

TEST_CASE("timer queue: a key fired may arm itself again from its callback") {
    TimerQueue q;
    q.arm(5, 10);
    int calls = 0;
    q.expire(10, [&](int key) {
        ++calls;
        q.arm(key, 20);
    });
    CHECK(calls == 1);
    CHECK(q.armed(5));
    CHECK(fired(q, 20) == std::vector<int>{5});
}
